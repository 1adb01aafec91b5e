"""OAuth 2.0 for Upwork: authlib for the protocol, a safe token store, and a token source that refreshes."""
