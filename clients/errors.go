package clients

import (
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// FieldError is one invalid value, named by its field ("email",
// "billing.tax_id", "contacts.role").
type FieldError struct {
	Field string
	Msg   string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// ValidationError lists every invalid value of one write. A write that
// fails validation changes nothing.
type ValidationError struct {
	Problems []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Error()
	}
	return "invalid client: " + strings.Join(parts, "; ")
}

// NotFoundError says no client has this ID.
type NotFoundError struct{ ClientID string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("client %q not found", e.ClientID) }

// ExistsError says a client with this ID exists already.
type ExistsError struct{ ClientID string }

func (e *ExistsError) Error() string { return fmt.Sprintf("client %q exists already", e.ClientID) }

// PrincipalTakenError says an address is another client's login.
// InProgress is set when that client's registration has not finished yet.
type PrincipalTakenError struct {
	Address    string
	ClientID   string
	InProgress bool
}

func (e *PrincipalTakenError) Error() string {
	if e.InProgress {
		return fmt.Sprintf("email: %s is being registered as the login of client %q", e.Address, e.ClientID)
	}
	return fmt.Sprintf("email: %s is already the login of client %q", e.Address, e.ClientID)
}

// TransientError wraps a failure worth retrying as is (the database did not
// answer, another writer changed the client first).
type TransientError struct{ Err error }

func (e *TransientError) Error() string { return e.Err.Error() }
func (e *TransientError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth retrying unchanged.
func IsTransient(err error) bool {
	var t *TransientError
	return errors.As(err, &t)
}

// dbErr wraps a database error with its step, marking network errors and
// timeouts transient.
func dbErr(step string, err error) error {
	if err == nil {
		return nil
	}
	err = fmt.Errorf("%s: %w", step, err)
	if mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return &TransientError{Err: err}
	}
	return err
}
