package mailin

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// spool holds one raw message while it is stored and parsed: in memory when
// it fits intake.max_message_size, else in a temporary file, so a message is
// never held whole in memory more than once and an oversized one not at all.
type spool struct {
	buf  []byte
	file *os.File
	size int64
	hash string
}

// newSpool copies r (which announces size bytes) into a spool and hashes it.
func newSpool(r io.Reader, size, memLimit int64, tmpDir string) (*spool, error) {
	h := sha256.New()
	s := &spool{}
	if size <= memLimit {
		var b bytes.Buffer
		b.Grow(int(size))
		n, err := io.Copy(io.MultiWriter(&b, h), r)
		if err != nil {
			return nil, fmt.Errorf("read message: %w", err)
		}
		s.buf, s.size = b.Bytes(), n
	} else {
		f, err := os.CreateTemp(tmpDir, "turno-mail-*.eml")
		if err != nil {
			return nil, fmt.Errorf("spool message: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked: vanishes with the descriptor
		n, err := io.Copy(io.MultiWriter(f, h), r)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("read message: %w", err)
		}
		s.file, s.size = f, n
	}
	s.hash = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// reader returns a fresh reader over the whole message.
func (s *spool) reader() io.Reader {
	if s.file != nil {
		return io.NewSectionReader(s.file, 0, s.size)
	}
	return bytes.NewReader(s.buf)
}

func (s *spool) close() {
	if s.file != nil {
		s.file.Close()
	}
	s.buf = nil
}
