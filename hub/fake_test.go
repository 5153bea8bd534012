package hub_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// WebSocket opcodes as fasthttp/websocket numbers them.
const (
	opText  = 1
	opClose = 8
	opPing  = 9
	opPong  = 10
)

// frame is one frame the hub wrote to a fakeConn.
type frame struct {
	op   int
	data []byte
	at   time.Time
}

// closeCode is the code of a close frame.
func (f frame) closeCode() int {
	if f.op != opClose || len(f.data) < 2 {
		return 0
	}
	return int(binary.BigEndian.Uint16(f.data))
}

var errClosed = errors.New("fake: use of closed connection")

// fakeConn is an in-memory hub.Conn. It records the frames written with their time, delivers
// the messages, pings and pongs the test sends, honours read and write deadlines like a net.Conn (but,
// like a hijacked fasthttp connection, Close does not unblock a read: only the deadline does), and
// reports misuse: concurrent writes (fasthttp/websocket panics on them) and any call after the
// test marked the connection released (the contract: nothing of a Conn is used once Serve returns).
// Every blocking wait is on a channel, so that it works inside a synctest bubble.
type fakeConn struct {
	t testing.TB
	// blockWrites makes every write block until its deadline or Close: a client that does not read.
	blockWrites bool
	// stalled does the same from when the test sets it (stall): a client that stopped reading.
	stalled atomic.Bool
	// autoPong makes the client answer every ping.
	autoPong bool
	// writeTakes makes every text frame's write take that long: a kernel's send on a busy machine.
	writeTakes time.Duration

	inbox    chan struct{} // messages from the client
	pings    chan string   // pings from the client, with their data
	pongs    chan struct{} // pongs from the client
	gone     chan struct{} // closed when the client goes away
	goneOnce sync.Once
	closed   chan struct{} // closed by Close
	once     sync.Once
	changed  chan struct{} // receives a token when a deadline changes
	writing  atomic.Bool
	released atomic.Bool

	mu       sync.Mutex
	frames   []frame
	readDL   time.Time
	writeDL  time.Time
	onPing   func(string) error
	onPong   func(string) error
	limit    int64
	closes   int // Close calls
	newFrame chan struct{}
}

func newFakeConn(t testing.TB) *fakeConn {
	return &fakeConn{
		t:        t,
		inbox:    make(chan struct{}, 1024),
		pings:    make(chan string, 4096),
		pongs:    make(chan struct{}, 16),
		gone:     make(chan struct{}),
		closed:   make(chan struct{}),
		changed:  make(chan struct{}, 1),
		newFrame: make(chan struct{}, 1),
	}
}

func (f *fakeConn) check(method string) {
	if f.released.Load() {
		f.t.Errorf("fakeConn.%s called after Serve returned", method)
	}
}

// timeout is the error of an expired deadline, as a net.Conn reports it.
var timeout = os.ErrDeadlineExceeded

// waitUntil blocks until dl (never when zero) or Close, like a write that cannot proceed.
func (f *fakeConn) waitUntil(dl time.Time) error {
	var expired <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return timeout
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		expired = tm.C
	}
	select {
	case <-expired:
		return timeout
	case <-f.closed:
		return errClosed
	}
}

func (f *fakeConn) NextReader() (int, io.Reader, error) {
	f.check("NextReader")
	for {
		op, again, err := f.nextReader()
		if !again {
			if err != nil {
				return 0, nil, err
			}
			return op, strings.NewReader("hello"), nil
		}
	}
}

// nextReader waits for one event; again when it was a ping, a pong or a change of the read
// deadline. Like fasthttp/websocket, it calls the ping and pong handlers, and returns their error.
func (f *fakeConn) nextReader() (op int, again bool, err error) {
	f.mu.Lock()
	dl := f.readDL
	f.mu.Unlock()
	var expired <-chan time.Time
	if !dl.IsZero() {
		d := time.Until(dl)
		if d <= 0 {
			return 0, false, timeout
		}
		tm := time.NewTimer(d)
		defer tm.Stop()
		expired = tm.C
	}
	select {
	case <-f.inbox:
		return opText, false, nil
	case data := <-f.pings:
		f.mu.Lock()
		h := f.onPing
		f.mu.Unlock()
		if h == nil { // fasthttp/websocket's default: answer at once, from the reader
			f.mu.Lock()
			f.frames = append(f.frames, frame{op: opPong, data: []byte(data), at: time.Now()})
			f.mu.Unlock()
			return 0, true, nil
		}
		if err := h(data); err != nil {
			return 0, false, err
		}
		return 0, true, nil
	case <-f.pongs:
		f.mu.Lock()
		h := f.onPong
		f.mu.Unlock()
		if h != nil {
			if err := h(""); err != nil {
				return 0, false, err
			}
		}
		return 0, true, nil
	case <-f.gone:
		return 0, false, io.ErrUnexpectedEOF
	case <-expired:
		return 0, false, timeout
	case <-f.changed:
		return 0, true, nil
	}
}

func (f *fakeConn) SetReadLimit(n int64) {
	f.check("SetReadLimit")
	f.mu.Lock()
	f.limit = n
	f.mu.Unlock()
}

func (f *fakeConn) SetReadDeadline(t time.Time) error {
	f.check("SetReadDeadline")
	f.mu.Lock()
	f.readDL = t
	f.mu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default:
	}
	return nil
}

func (f *fakeConn) SetPingHandler(h func(string) error) {
	f.check("SetPingHandler")
	f.mu.Lock()
	f.onPing = h
	f.mu.Unlock()
}

func (f *fakeConn) SetPongHandler(h func(string) error) {
	f.check("SetPongHandler")
	f.mu.Lock()
	f.onPong = h
	f.mu.Unlock()
}

func (f *fakeConn) SetWriteDeadline(t time.Time) error {
	f.check("SetWriteDeadline")
	f.mu.Lock()
	f.writeDL = t
	f.mu.Unlock()
	return nil
}

func (f *fakeConn) WriteMessage(op int, data []byte) error {
	f.check("WriteMessage")
	f.mu.Lock()
	dl := f.writeDL
	f.mu.Unlock()
	return f.write(op, data, dl)
}

func (f *fakeConn) WriteControl(op int, data []byte, deadline time.Time) error {
	f.check("WriteControl")
	return f.write(op, data, deadline)
}

func (f *fakeConn) write(op int, data []byte, dl time.Time) error {
	if f.writing.Swap(true) {
		f.t.Errorf("concurrent write to the connection")
	}
	defer f.writing.Store(false)
	select {
	case <-f.closed:
		return errClosed
	default:
	}
	if f.blockWrites || f.stalled.Load() {
		if err := f.waitUntil(dl); err != nil {
			return err
		}
	}
	if op == opText && f.writeTakes > 0 {
		time.Sleep(f.writeTakes)
	}
	f.mu.Lock()
	f.frames = append(f.frames, frame{op: op, data: append([]byte(nil), data...), at: time.Now()})
	f.mu.Unlock()
	select {
	case f.newFrame <- struct{}{}:
	default:
	}
	if op == opPing && f.autoPong {
		select {
		case f.pongs <- struct{}{}:
		default:
		}
	}
	return nil
}

func (f *fakeConn) Close() error {
	f.check("Close")
	f.mu.Lock()
	f.closes++
	f.mu.Unlock()
	f.once.Do(func() { close(f.closed) })
	return nil
}

// send delivers one message from the client.
func (f *fakeConn) send() { f.inbox <- struct{}{} }

// ping delivers one ping from the client, with data.
func (f *fakeConn) ping(data string) { f.pings <- data }

// stall makes the client stop reading: every write from now on blocks until its deadline.
func (f *fakeConn) stall() { f.stalled.Store(true) }

// leave makes the client go away (its next read fails).
func (f *fakeConn) leave() { f.goneOnce.Do(func() { close(f.gone) }) }

// all returns a copy of the frames written so far.
func (f *fakeConn) all() []frame {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]frame(nil), f.frames...)
}

// texts returns the text messages written so far.
func (f *fakeConn) texts() []frame {
	var out []frame
	for _, fr := range f.all() {
		if fr.op == opText {
			out = append(out, fr)
		}
	}
	return out
}

// snap is a decoded snapshot message.
type snap struct {
	Type     string           `json:"type"`
	Poll     string           `json:"poll"`
	Seq      int64            `json:"seq"`
	At       string           `json:"at"`
	Status   string           `json:"status"`
	Results  string           `json:"results"`
	Ballots  int64            `json:"ballots"`
	Rate     float64          `json:"rate"`
	Tally    map[string]int64 `json:"tally"`
	Held     *int64           `json:"held"`
	Withheld *int             `json:"withheld"`
	Fraud    *struct {
		Results map[string]int64 `json:"results"`
		Signals map[string]int64 `json:"signals"`
	} `json:"fraud"`
}

func decode(t testing.TB, fr frame) snap {
	t.Helper()
	var s snap
	dec := json.NewDecoder(strings.NewReader(string(fr.data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("message %s: %v", fr.data, err)
	}
	return s
}

// fakeSource is a hub.Source of mutable snapshots that counts its reads per poll: of snapshots
// (reads) and of versions (versionReads). Its polls are named by id in the tests; poll gives the
// *vote.Poll the hub knows a poll by. Each update moves the poll's version. A snapshot whose
// Turn has come reads as open, with no Turn: the schedule opened the poll.
type fakeSource struct {
	mu           sync.Mutex
	polls        map[string]*vote.Poll
	snaps        map[string]vote.Snapshot
	reads        map[string]int
	versionReads map[string]int
	err          error
}

func newFakeSource(polls ...string) *fakeSource {
	s := &fakeSource{polls: map[string]*vote.Poll{}, snaps: map[string]vote.Snapshot{}, reads: map[string]int{}, versionReads: map[string]int{}}
	for _, p := range polls {
		s.snaps[p] = vote.Snapshot{
			Poll:    p,
			State:   vote.State{Status: vote.StatusOpen, Results: vote.ResultsHidden},
			Ballots: 2, // counted; with the held one, 3 received: the public "ballots"
			Held:    1,
			Tally:   map[string]int64{"a": 2, "b": 1, "c": 0},
			Rate:    1.25,
		}
	}
	return s
}

// poll returns the poll of this id, the same pointer for every call (also for an id the source
// has no snapshot of).
func (s *fakeSource) poll(id string) *vote.Poll {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.polls[id]
	if p == nil {
		p = &vote.Poll{ID: id}
		s.polls[id] = p
	}
	return p
}

func (s *fakeSource) Snapshot(_ context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	poll := p.ID
	s.reads[poll]++
	if s.err != nil {
		return vote.Snapshot{}, s.err
	}
	sn, ok := s.snaps[poll]
	if !ok {
		return vote.Snapshot{}, vote.ErrPollNotFound
	}
	sn.At = now
	sn.Tally = maps.Clone(sn.Tally)
	if !sn.Turn.IsZero() && !now.Before(sn.Turn) {
		sn.State.Status, sn.Turn = vote.StatusOpen, time.Time{}
	}
	return sn, nil
}

func (s *fakeSource) Versions(_ context.Context, polls []*vote.Poll) ([]uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	out := make([]uint64, len(polls))
	for i, p := range polls {
		s.versionReads[p.ID]++
		out[i] = s.snaps[p.ID].Version
	}
	return out, nil
}

// update changes the poll's snapshot.
func (s *fakeSource) update(poll string, f func(*vote.Snapshot)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.snaps[poll]
	sn.Tally = maps.Clone(sn.Tally)
	f(&sn)
	sn.Version++
	s.snaps[poll] = sn
}

// vote counts one more ballot for candidate a.
func (s *fakeSource) vote(poll string) {
	s.update(poll, func(sn *vote.Snapshot) { sn.Ballots++; sn.Tally["a"]++ })
}

func (s *fakeSource) readCount(poll string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads[poll]
}

func (s *fakeSource) versionReadCount(poll string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.versionReads[poll]
}
