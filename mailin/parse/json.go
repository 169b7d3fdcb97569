package parse

import (
	"encoding/json"
	"time"
)

// JSON returns the message as the stable JSON object other packages and
// the goldens rely on. Empty lists are [], absent values null.
func (m *Message) JSON() ([]byte, error) {
	return json.Marshal(m.jsonObject())
}

type jsonMessage struct {
	MessageID   string           `json:"message_id"`
	Subject     string           `json:"subject"`
	From        *Address         `json:"from"`
	ReplyTo     *Address         `json:"reply_to"`
	To          []Address        `json:"to"`
	Cc          []Address        `json:"cc"`
	Date        *string          `json:"date"`
	InReplyTo   *string          `json:"in_reply_to"`
	References  []string         `json:"references"`
	TicketRef   *string          `json:"ticket_ref"`
	Kind        Kind             `json:"kind"`
	Text        string           `json:"text"`
	Quoted      string           `json:"quoted"`
	Attachments []jsonAttachment `json:"attachments"`
	Bounce      *jsonBounce      `json:"bounce"`
	Warnings    []string         `json:"warnings"`
	// Auth appears only when the caller judged the sender (Message.Auth).
	Auth *Auth `json:"auth,omitempty"`
}

type jsonAttachment struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Inline      bool   `json:"inline"`
}

type jsonBounce struct {
	Recipients        []jsonRecipient `json:"recipients"`
	Status            string          `json:"status"`
	OriginalMessageID string          `json:"original_message_id"`
}

type jsonRecipient struct {
	Address    string `json:"address"`
	Status     string `json:"status"`
	Action     string `json:"action"`
	Diagnostic string `json:"diagnostic"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (m *Message) jsonObject() jsonMessage {
	j := jsonMessage{
		MessageID:   m.MessageID,
		Subject:     m.Subject,
		From:        m.From,
		ReplyTo:     m.ReplyTo,
		To:          nonNil(m.To),
		Cc:          nonNil(m.Cc),
		InReplyTo:   optional(m.InReplyTo),
		References:  nonNil(m.References),
		TicketRef:   optional(m.TicketRef),
		Kind:        m.Kind,
		Text:        m.Text,
		Quoted:      m.Quoted,
		Attachments: []jsonAttachment{},
		Warnings:    nonNil(m.Warnings),
		Auth:        m.Auth,
	}
	if m.Date != nil {
		s := m.Date.Format(time.RFC3339)
		j.Date = &s
	}
	for _, a := range m.Attachments {
		j.Attachments = append(j.Attachments, jsonAttachment{a.Filename, a.ContentType, a.Size, a.SHA256, a.Inline})
	}
	if b := m.Bounce; b != nil {
		jb := &jsonBounce{Recipients: []jsonRecipient{}, Status: b.Status, OriginalMessageID: b.OriginalMessageID}
		for _, r := range b.Recipients {
			jb.Recipients = append(jb.Recipients, jsonRecipient(r))
		}
		j.Bounce = jb
	}
	return j
}
