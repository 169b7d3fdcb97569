package templates

import (
	"errors"
	"time"
)

// Access is a new way into the customer portal: either a one-time Link or
// a generated Password, never both. Mail carrying it must have its body
// purged once sent (no secrets at rest).
type Access struct {
	Login     string    `json:"login"`      // the principal contact's email
	Link      string    `json:"link"`       // set-password link; empty when Password is set
	Password  string    `json:"password"`   // generated password; empty when Link is set
	ExpiresAt time.Time `json:"expires_at"` // when the link or password stops working; zero: never
	PortalURL string    `json:"portal_url"` // where to sign in; empty omits the line
}

func (a Access) validate() error {
	switch {
	case a.Login == "":
		return errors.New("login is empty")
	case a.Link == "" && a.Password == "":
		return errors.New("neither link nor password is set")
	case a.Link != "" && a.Password != "":
		return errors.New("both link and password are set; send one")
	}
	return nil
}

// PasswordReset ("password_reset") sends a regenerated access.
type PasswordReset struct {
	ClientName string `json:"client_name"`
	Access
}

// Welcome ("welcome") greets a new client with their first access.
type Welcome struct {
	ClientName string `json:"client_name"`
	Access
}
