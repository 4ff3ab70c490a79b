"""The emulator's Azure AD token service: token endpoints, discovery, keys and its errors."""
