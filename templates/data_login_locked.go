package templates

import (
	"errors"
	"time"
)

// LoginLocked ("login_locked") tells the owner of an address that its
// sign-in was locked after too many failed passwords (web.Lockout within
// an hour), until when, and what to do: wait, or set a new password with
// Link (the customer portal's set-password link, which also lifts the
// lock); and to tell support if it was not them. Sent by the customer
// portal and the agents' console. A mail with Link holds a secret: its
// body must be purged once sent, as with Access.
type LoginLocked struct {
	Name  string    `json:"name"`  // greeting; empty: none
	Login string    `json:"login"` // the locked address
	Until time.Time `json:"until"` // when sign-in works again
	// Where is "portal" (the customer portal) or "console" (the agents'
	// console): the mail names it.
	Where string `json:"where"`
	// Link sets a new password and lifts the lock; empty omits it.
	Link string `json:"link"`
	// SignInURL is where to sign in; empty omits the line.
	SignInURL string `json:"sign_in_url"`
}

func (d LoginLocked) validate() error {
	switch {
	case d.Login == "":
		return errors.New("login is empty")
	case d.Until.IsZero():
		return errors.New("until is not set")
	case d.Where != "portal" && d.Where != "console":
		return errors.New(`where must be "portal" or "console"`)
	}
	return nil
}

func sampleLoginLocked() any {
	return LoginLocked{
		Name:      "Comercial Los Andes SpA",
		Login:     "contacto@losandes.cl",
		Until:     sampleDay(2026, 11, 16, 19, 30),
		Where:     "portal",
		Link:      "https://clientes.ejemplo.cl/clave/7f3a9c2e",
		SignInURL: "https://clientes.ejemplo.cl",
	}
}
