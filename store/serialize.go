package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// writeSerializer is a proxy in front of the embedded FerretDB that runs
// write commands one at a time. Both listen on Unix sockets in a directory
// only Turno's user can enter (see socketDir).
//
// Why: FerretDB 1.x applies an update by reading the document, changing it in
// Go and writing the whole document back, and the read and the write are not
// one transaction. Two concurrent $inc on one document therefore lose updates
// (measured: 8 goroutines × 50 $inc gave 51, not 400), and two conditional
// findOneAndUpdate can both "win". MongoDB guarantees single-document
// atomicity, and Turno's correctness rests on it (DESIGN.md, invariant 7), so
// the embedded store must too. Every client — this process, tests, a second
// turno given the embedded URI — reaches FerretDB through this proxy, which
// holds one mutex while a write command (insert, update, delete,
// findAndModify, index and collection changes) is in flight. Reads pass
// concurrently. SQLite admits one writer at a time anyway, so little
// throughput is lost.
type writeSerializer struct {
	ln      net.Listener
	backend string
	mu      *sync.Mutex // held for the duration of one write command (shared with idIndexer)
	// wrote is told the database of every write command forwarded, so that
	// new collections get their _id lookup index (see idIndexer).
	wrote func(db string)

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
}

// writeCommands are the commands that modify data or schema.
var writeCommands = map[string]bool{
	"insert": true, "update": true, "delete": true,
	"findAndModify": true, "findandmodify": true,
	"create": true, "createIndexes": true, "dropIndexes": true,
	"drop": true, "dropDatabase": true, "renameCollection": true,
	"collMod": true, "bulkWrite": true,
}

// startSerializer listens on the Unix socket path and forwards to the
// FerretDB socket backend.
func startSerializer(path, backend string, mu *sync.Mutex, wrote func(db string)) (*writeSerializer, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("embedded store proxy: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = ln.Close()
		return nil, fmt.Errorf("embedded store proxy: %w", err)
	}
	s := &writeSerializer{ln: ln, backend: backend, mu: mu, wrote: wrote, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *writeSerializer) addr() string { return s.ln.Addr().String() }

func (s *writeSerializer) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handle(c)
		}()
	}
}

func (s *writeSerializer) track(c net.Conn, add bool) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if add {
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
}

// close stops accepting, drops every connection and waits for the handlers.
func (s *writeSerializer) close() {
	_ = s.ln.Close()
	s.connMu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.connMu.Unlock()
	s.wg.Wait()
}

func (s *writeSerializer) handle(client net.Conn) {
	defer client.Close()
	backend, err := net.Dial("unix", s.backend)
	if err != nil {
		return
	}
	defer backend.Close()
	s.track(client, true)
	s.track(backend, true)
	defer s.track(client, false)
	defer s.track(backend, false)
	for {
		req, err := readWireMessage(client)
		if err != nil {
			return
		}
		if err := s.roundTrip(req, client, backend); err != nil {
			return
		}
	}
}

// roundTrip forwards one request and its replies, under the write mutex when
// it is a write command.
func (s *writeSerializer) roundTrip(req []byte, client, backend net.Conn) error {
	info := inspect(req)
	if info.write {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.wrote != nil && info.db != "" {
			defer s.wrote(info.db)
		}
	}
	if _, err := backend.Write(req); err != nil {
		return err
	}
	if info.moreToCome {
		return nil // the client expects no reply (unacknowledged write)
	}
	for {
		resp, err := readWireMessage(backend)
		if err != nil {
			return err
		}
		if info.handshake {
			capWriteBatch(resp)
		}
		if _, err := client.Write(resp); err != nil {
			return err
		}
		if !inspect(resp).moreToCome {
			return nil
		}
	}
}

const (
	opMsg          = 2013
	opQuery        = 2004
	flagMoreToCome = 1 << 1
	maxWireMessage = 64 << 20
)

// readWireMessage reads one length-prefixed MongoDB wire message.
func readWireMessage(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.LittleEndian.Uint32(hdr[:]))
	if n < 16 || n > maxWireMessage {
		return nil, errors.New("bad wire message length")
	}
	msg := make([]byte, n)
	copy(msg, hdr[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

type msgInfo struct {
	write      bool
	moreToCome bool
	db         string // the command's $db, for writes
	// handshake: hello/isMaster (or a legacy OP_QUERY, which drivers only
	// use for it), whose reply announces maxWriteBatchSize.
	handshake bool
}

// handshakeCommands are the commands whose reply tells a driver the
// server's limits.
var handshakeCommands = map[string]bool{"hello": true, "isMaster": true, "ismaster": true}

// maxWriteBatch is the most statements one write command may carry on the
// embedded store: FerretDB 1.24 (SQLite) holds a connection per statement
// until the command ends and deadlocks at 100 of them. The proxy announces
// it as maxWriteBatchSize in every handshake reply, so every driver splits
// larger bulk writes (and inserts) into commands of at most this many, and
// no caller, present or future, can hang the store.
const maxWriteBatch = 99

var batchSizeKey = []byte("maxWriteBatchSize\x00")

// capWriteBatch lowers maxWriteBatchSize in a handshake reply to
// maxWriteBatch, in place (the value keeps its type and size).
func capWriteBatch(msg []byte) {
	i := bytes.Index(msg, batchSizeKey)
	if i < 1 {
		return
	}
	v := i + len(batchSizeKey)
	switch msg[i-1] {
	case 0x10: // int32
		if v+4 <= len(msg) && int32(binary.LittleEndian.Uint32(msg[v:])) > maxWriteBatch {
			binary.LittleEndian.PutUint32(msg[v:], maxWriteBatch)
		}
	case 0x12: // int64
		if v+8 <= len(msg) && int64(binary.LittleEndian.Uint64(msg[v:])) > maxWriteBatch {
			binary.LittleEndian.PutUint64(msg[v:], maxWriteBatch)
		}
	}
}

// inspect reads the OP_MSG flags and the command name (the first key of the
// body section). Other opcodes (the legacy OP_QUERY handshake) are reads.
func inspect(msg []byte) msgInfo {
	var info msgInfo
	if len(msg) >= 16 && binary.LittleEndian.Uint32(msg[12:16]) == opQuery {
		info.handshake = true
		return info
	}
	if len(msg) < 21 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg {
		return info
	}
	flags := binary.LittleEndian.Uint32(msg[16:20])
	info.moreToCome = flags&flagMoreToCome != 0
	end := len(msg)
	if flags&1 != 0 { // checksumPresent
		end -= 4
	}
	for p := 20; p < end; {
		kind := msg[p]
		p++
		if p+4 > end {
			return info
		}
		size := int(binary.LittleEndian.Uint32(msg[p : p+4]))
		if size < 5 || p+size > end {
			return info
		}
		if kind == 0 {
			// BSON document: int32 length, then elements: type byte, cstring name, …
			doc := msg[p : p+size]
			if len(doc) > 5 {
				name := doc[5:]
				if i := bytes.IndexByte(name, 0); i > 0 {
					info.write = writeCommands[string(name[:i])]
					info.handshake = handshakeCommands[string(name[:i])]
				}
				if info.write {
					info.db, _ = bson.Raw(doc).Lookup("$db").StringValueOK()
				}
			}
			return info
		}
		p += size // kind 1: document sequence, sized the same way
	}
	return info
}
