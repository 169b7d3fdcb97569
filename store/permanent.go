package store

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// refusedCodes are server error codes that refuse a document itself, so
// sending the same document again gets the same answer.
var refusedCodes = []int{
	2,     // BadValue
	9,     // FailedToParse
	52,    // DollarPrefixedFieldName
	121,   // DocumentValidationFailure
	10334, // BSONObjectTooLarge
	17419, // document too large to insert
	17280, // KeyTooLong
}

// IsPermanent reports whether a database call failed for a reason that a
// retry cannot change: the driver could not marshal the document (a
// model's tag is wrong), it refused the arguments, or the server refused the
// document itself (too large, invalid). Network errors, timeouts, a
// cancelled context and every other server answer are not permanent: the
// database may answer differently next time. Callers quarantine work on a
// permanent error instead of retrying it.
func IsPermanent(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		mongo.IsNetworkError(err) || mongo.IsTimeout(err) {
		return false
	}
	var me mongo.MarshalError
	if errors.As(err, &me) {
		return true
	}
	var ia mongo.InvalidArgumentError
	if errors.As(err, &ia) {
		return true
	}
	if errors.Is(err, mongo.ErrNilDocument) {
		return true
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		for _, c := range refusedCodes {
			if se.HasErrorCode(c) {
				return true
			}
		}
	}
	return false
}
