"""The services an env points at: checked before work starts, and never a secret in
what is said about them."""
