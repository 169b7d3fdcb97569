package clients

import "crypto/subtle"

// The argon2id hashing of portal passwords and access secrets, shared with
// every other password Turno keeps (agents' console passwords): one
// implementation, one set of parameters.

// NewPasswordSalt is a fresh random salt for HashPassword.
func NewPasswordSalt() []byte { return []byte(randomString(12)) }

// HashPassword is the argon2id hash of password with salt, as stored.
func HashPassword(password string, salt []byte) []byte { return hashSecret(password, salt) }

// PasswordMatches reports, in constant time, whether password hashes to
// hash with salt. An empty hash matches nothing but still costs one hash,
// so a check of an unknown account takes as long as a real one.
func PasswordMatches(password string, salt, hash []byte) bool {
	if len(hash) == 0 {
		_ = hashSecret(password, dummySalt)
		return false
	}
	return subtle.ConstantTimeCompare(hashSecret(password, salt), hash) == 1
}
