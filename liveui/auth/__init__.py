"""Login sessions and their revocation: `AuthClaims` (who, which login, which epoch) carried by
every token liveui signs, and `Revocations`, which ends them on every node."""
