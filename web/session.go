package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collection names this package owns.
const (
	CollSessions = "web_sessions"
	CollSubjects = "web_subjects"
	CollThrottle = "web_throttle"
)

// Subject is who a session belongs to: Kind "client" with a client ID in
// the portal, "agent" with an agent name in the console.
type Subject struct {
	Kind string
	ID   string
}

// Session is a logged-in visitor's server-side session.
type Session struct {
	Hash       string    `bson:"_id"`
	Surface    string    `bson:"surface"`
	Kind       string    `bson:"subject_kind"`
	SubjectID  string    `bson:"subject_id"`
	CSRF       string    `bson:"csrf"`
	Generation int64     `bson:"generation"`
	Created    time.Time `bson:"created"`
	Expires    time.Time `bson:"expires"`
	RotatedAt  time.Time `bson:"rotated_at"`
}

// Subject of the session.
func (s *Session) Subject() Subject { return Subject{Kind: s.Kind, ID: s.SubjectID} }

type subjectDoc struct {
	ID         string `bson:"_id"`
	Generation int64  `bson:"generation"`
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

func (s *Site) subjectKey(sub Subject) string { return s.opts.Surface + "/" + sub.Kind + "/" + sub.ID }

func (s *Site) generation(ctx context.Context, sub Subject) (int64, error) {
	var d subjectDoc
	err := s.subjects.FindOne(ctx, bson.D{{Key: "_id", Value: s.subjectKey(sub)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read session generation: %w", err)
	}
	return d.Generation, nil
}

// Login starts a new session for sub: a fresh random id (any session the
// request carried is deleted, so an id planted before login is worthless),
// a fresh CSRF secret, and the cookie. Call it only after the credentials
// were checked.
func (s *Site) Login(ctx context.Context, w http.ResponseWriter, r *http.Request, sub Subject) (*Session, error) {
	if old := CurrentSession(r); old != nil {
		_, _ = s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: old.Hash}})
	}
	gen, err := s.generation(ctx, sub)
	if err != nil {
		return nil, err
	}
	id := randomToken()
	now := s.opts.Clock.Now().UTC()
	sess := &Session{Hash: hashID(id), Surface: s.opts.Surface, Kind: sub.Kind, SubjectID: sub.ID, CSRF: randomToken(),
		Generation: gen, Created: now, Expires: now.Add(s.opts.SessionTTL), RotatedAt: now}
	if _, err := s.sessions.InsertOne(ctx, sess); err != nil {
		return nil, fmt.Errorf("store session: %w", err)
	}
	s.setCookie(w, r, s.opts.CookieName, id, sess.Expires)
	s.clearCookie(w, r, s.preCookie())
	return sess, nil
}

// Logout ends the request's session (if any) and clears its cookie.
func (s *Site) Logout(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	s.clearCookie(w, r, s.opts.CookieName)
	if sess := CurrentSession(r); sess != nil {
		if _, err := s.sessions.DeleteOne(ctx, bson.D{{Key: "_id", Value: sess.Hash}}); err != nil {
			return fmt.Errorf("delete session: %w", err)
		}
	}
	return nil
}

// LogoutEverywhere ends every session of sub on this surface, on every
// device: its generation goes up, so every session made before stops
// working at its next request.
func (s *Site) LogoutEverywhere(ctx context.Context, sub Subject) error {
	_, err := s.subjects.UpdateOne(ctx, bson.D{{Key: "_id", Value: s.subjectKey(sub)}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "generation", Value: 1}}}}, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("revoke sessions: %w", err)
	}
	return nil
}

// loadSession reads the request's session: by the hash of the cookie's
// id, then its subject's generation, both by _id. nil: none, expired or
// revoked.
func (s *Site) loadSession(ctx context.Context, r *http.Request) (*Session, error) {
	c, err := r.Cookie(s.opts.CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	var sess Session
	err = s.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: hashID(c.Value)}}).Decode(&sess)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read session: %w", err)
	}
	if sess.Surface != s.opts.Surface || !s.opts.Clock.Now().Before(sess.Expires) {
		return nil, nil
	}
	gen, err := s.generation(ctx, sess.Subject())
	if err != nil {
		return nil, err
	}
	if gen != sess.Generation {
		return nil, nil
	}
	return &sess, nil
}

// Sweep deletes expired sessions and past throttle windows. It filters on
// a field (a scan on the embedded store): run it from a daily job.
func (s *Site) Sweep(ctx context.Context) error {
	now := s.opts.Clock.Now().UTC()
	if _, err := s.sessions.DeleteMany(ctx, bson.D{{Key: "expires", Value: bson.D{{Key: "$lt", Value: now}}}}); err != nil {
		return fmt.Errorf("sweep sessions: %w", err)
	}
	if _, err := s.throttle.DeleteMany(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: now}}}}); err != nil {
		return fmt.Errorf("sweep throttle: %w", err)
	}
	return nil
}

func (s *Site) preCookie() string { return s.opts.CookieName + "_csrf" }

func (s *Site) setCookie(w http.ResponseWriter, r *http.Request, name, value string, expires time.Time) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.Secure(r)}
	if !expires.IsZero() {
		c.Expires = expires
	}
	http.SetCookie(w, c)
}

func (s *Site) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.Secure(r)})
}
