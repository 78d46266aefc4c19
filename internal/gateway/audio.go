package gateway

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// defaultMaxUploadBytes is server.max_upload_bytes' default — OpenAI's own limit on audio
// files — for snapshots built without the setting.
const defaultMaxUploadBytes = 25 << 20

// uploadReadTimeout bounds how long a client may take to send an upload. It is longer than
// bodyReadTimeout: 25 MiB from a slow uplink takes minutes, and the file may be streamed on
// to the provider while it arrives.
const uploadReadTimeout = 5 * time.Minute

// speech serves POST /v1/audio/speech: JSON in, audio out as the provider produces it.
func (g *Gateway) speech(w http.ResponseWriter, r *http.Request) error {
	var req provider.SpeechRequest
	p, err := g.prepareJSON(w, r, &req, &req.Model)
	if err != nil {
		return err
	}
	defer p.cancel()
	m, res, err := p.snap.Routes.Speech(p.ctx, p.route, &req)
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	return g.relayMedia(w, r, m)
}

// transcription serves POST /v1/audio/transcriptions. Only the model field is read, to route;
// the form goes upstream as the client sent it with the model replaced. Parts before the
// model field are held (a file there is held once, in memory); a file after it streams
// straight from the client to the provider.
func (g *Gateway) transcription(w http.ResponseWriter, r *http.Request) error {
	snap := g.snapshot.Load()
	limit := snap.MaxUploadBytes
	if limit <= 0 {
		limit = defaultMaxUploadBytes
	}
	if r.ContentLength > limit {
		return tooLarge(limit)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(uploadReadTimeout))
	up, err := readUpload(r, http.MaxBytesReader(w, r.Body, limit), rc)
	if err != nil {
		_ = rc.SetReadDeadline(time.Time{})
		return uploadError(err, limit)
	}
	defer up.release()
	overrideModel(r, &up.model)
	route, err := g.resolve(r, snap.Routes, up.model)
	if err != nil {
		return err
	}
	ctx, cancel, err := requestDeadline(r)
	if err != nil {
		return err
	}
	defer cancel()
	m, res, err := snap.Routes.Transcription(ctx, route, up)
	setRoutingHeaders(w, res)
	if err != nil {
		if cerr := up.clientErr(); cerr != nil {
			return uploadError(cerr, limit) // the client's body failed, not the provider
		}
		return err
	}
	return g.relayMedia(w, r, m)
}

// uploadError classifies a failure reading the client's form.
func uploadError(err error, limit int64) error {
	var e *api.Error
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &mbe):
		return tooLarge(limit)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return api.NewError("request_aborted", "the upload was not received in time", err)
	}
	return api.NewError("invalid_request", "the body is not a readable multipart/form-data form: "+err.Error(), err)
}

var mediaBufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// relayMedia writes an upstream answer as it arrives, flushing each read, so speech plays while
// it is generated and a streamed transcript reaches the client event by event.
func (g *Gateway) relayMedia(w http.ResponseWriter, r *http.Request, m *provider.Media) error {
	defer m.Body.Close() // ends the upstream request
	h := w.Header()
	h.Set("Content-Type", m.ContentType)
	if m.Length >= 0 {
		h.Set("Content-Length", strconv.FormatInt(m.Length, 10))
	}
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	bufp := mediaBufPool.Get().(*[]byte)
	defer mediaBufPool.Put(bufp)
	for {
		n, err := m.Body.Read(*bufp)
		if n > 0 {
			if _, werr := w.Write((*bufp)[:n]); werr != nil {
				return nil // client gone; the deferred Close cancels upstream
			}
			if rc.Flush() != nil {
				return nil
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if r.Context().Err() != nil {
				return nil
			}
			e := api.AsError(err)
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "media relay failed", slog.String("code", e.Code), slog.Any("err", e.Err))
			// The status is sent: breaking the connection is the one way left to tell the
			// client that the body is incomplete.
			panic(http.ErrAbortHandler)
		}
	}
}

// upload is a client's multipart form on its way upstream, and the provider.Form the adapter
// encodes. The encoding is read once, by the HTTP transport, possibly while the client is
// still sending: release, run when the handler ends, makes sure no read of the client's body
// outlives the handler.
type upload struct {
	mr     *multipart.Reader
	held   []heldPart
	model  string
	file   *multipart.Part // a file part after the model, opened but not read
	live   bool            // parts remain to be read from the client
	rc     *http.ResponseController
	target string // the model written upstream

	mu      sync.Mutex // held by Read; release waits for it
	reading atomic.Bool
	closed  bool
	errMu   sync.Mutex // not mu: the handler asks while the transport may be blocked in Read
	err     error      // the first error reading the client's body
	mw      *multipart.Writer
	pending bytes.Buffer // part boundaries and headers not yet read
	next    int          // next held part to encode
	cur     io.Reader    // content of the part being encoded
	done    bool
}

// heldPart is a part read before routing: a field, or a file that came before the model.
type heldPart struct {
	header  textproto.MIMEHeader
	data    []byte
	isModel bool
}

var errReleased = errors.New("gateway: upload read after the request ended")

// readUpload reads the form up to its model field and any other fields that follow, stopping
// at the first file part after the model, which is left to stream.
func readUpload(r *http.Request, body io.Reader, rc *http.ResponseController) (*upload, error) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" || params["boundary"] == "" {
		return nil, api.Errorf("invalid_request", "the body must be multipart/form-data with a file and a model field")
	}
	u := &upload{mr: multipart.NewReader(body, params["boundary"]), rc: rc, live: true}
	for {
		p, err := u.mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			u.live = false
			break
		}
		if err != nil {
			return nil, err
		}
		if u.model != "" && p.FileName() != "" {
			u.file = p
			break
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, err
		}
		isModel := p.FormName() == "model"
		if isModel {
			u.model = string(data)
		}
		u.held = append(u.held, heldPart{header: p.Header, data: data, isModel: isModel})
	}
	if u.model == "" {
		e := api.Errorf("invalid_request", "model is required: send it as a form field")
		e.Param = "model"
		return nil, e
	}
	return u, nil
}

// Encode implements provider.Form. The length is known when the whole form was held.
func (u *upload) Encode(model string) (io.Reader, string, int64) {
	u.target = model
	u.mw = multipart.NewWriter(&u.pending)
	length := int64(-1)
	if !u.live {
		length = u.encodedLength()
	}
	return u, u.mw.FormDataContentType(), length
}

func (u *upload) encodedLength() int64 {
	var cw countingWriter
	mw := multipart.NewWriter(&cw)
	_ = mw.SetBoundary(u.mw.Boundary())
	for _, p := range u.held {
		_, _ = mw.CreatePart(p.header)
		if p.isModel {
			cw.n += int64(len(u.target))
		} else {
			cw.n += int64(len(p.data))
		}
	}
	_ = mw.Close()
	return cw.n
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// Read produces the encoded form: each part's boundary and headers, then its content, copied
// from the held bytes or straight from the client.
func (u *upload) Read(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return 0, errReleased
	}
	if u.live {
		u.reading.Store(true)
		defer u.reading.Store(false)
	}
	for {
		if u.pending.Len() > 0 {
			return u.pending.Read(p)
		}
		if u.cur != nil {
			n, err := u.cur.Read(p)
			if errors.Is(err, io.EOF) {
				u.cur = nil
				if n == 0 {
					continue
				}
				err = nil
			}
			if err != nil {
				u.fail(err)
			}
			return n, err
		}
		if u.done {
			return 0, io.EOF
		}
		if err := u.nextPart(); err != nil {
			return 0, err
		}
	}
}

// nextPart starts the next part: held ones first, then the file left open, then the rest.
func (u *upload) nextPart() error {
	var header textproto.MIMEHeader
	var content io.Reader
	isModel := false
	switch {
	case u.next < len(u.held):
		hp := &u.held[u.next]
		u.next++
		header, content, isModel = hp.header, bytes.NewReader(hp.data), hp.isModel
	case u.file != nil:
		header, content, isModel = u.file.Header, u.file, u.file.FormName() == "model"
		u.file = nil
	case u.live:
		part, err := u.mr.NextRawPart()
		if errors.Is(err, io.EOF) {
			u.live = false
			return nil
		}
		if err != nil {
			u.fail(err)
			return err
		}
		header, content, isModel = part.Header, part, part.FormName() == "model"
	default:
		u.done = true
		return u.mw.Close()
	}
	if isModel {
		content = strings.NewReader(u.target)
	}
	if _, err := u.mw.CreatePart(header); err != nil {
		return err
	}
	u.cur = content
	return nil
}

func (u *upload) fail(err error) {
	u.errMu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.errMu.Unlock()
}

// clientErr is the first error reading the client's body while streaming it upstream.
func (u *upload) clientErr() error {
	u.errMu.Lock()
	defer u.errMu.Unlock()
	return u.err
}

// release ends the upload's reads. A read blocked on a slow client is cut by moving the read
// deadline to now; the transport may otherwise still be reading when the handler returns,
// which net/http forbids.
func (u *upload) release() {
	for !u.mu.TryLock() {
		if u.reading.Load() {
			_ = u.rc.SetReadDeadline(time.Now())
		}
		time.Sleep(time.Millisecond)
	}
	u.closed = true
	u.mu.Unlock()
	_ = u.rc.SetReadDeadline(time.Time{})
}
