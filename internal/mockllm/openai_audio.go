package mockllm

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// OpenAI audio: POST /v1/audio/transcriptions (multipart upload in, a transcript out whose
// text is drawn from the file's hash) and POST /v1/audio/speech (JSON in, deterministic audio
// out, streamed in `tokens` writes paced by token_delay). See
// https://platform.openai.com/docs/api-reference/audio.

// Transcription formats and their content types. Only whisper-1 offers the timed formats.
var transcriptFormats = map[string]string{
	"json": "application/json", "verbose_json": "application/json",
	"text": "text/plain; charset=utf-8", "srt": "text/plain; charset=utf-8", "vtt": "text/plain; charset=utf-8",
}

const (
	secondsPerWord  = 0.4 // speech at 150 words a minute
	wordsPerSegment = 8
)

// oaTranscriptionForm holds the form fields the mock reads.
type oaTranscriptionForm struct {
	file                          []byte
	hasFile                       bool
	model, language, prompt, rfmt string
	temperature                   string
}

// transcriptions serves an upload; deployment, when set, names the model (Azure).
func (s *Server) transcriptions(w http.ResponseWriter, r *http.Request, body []byte, deployment string) error {
	f := openaiFormat{}
	form, fl := parseTranscriptionForm(r.Header.Get("Content-Type"), body)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if deployment != "" {
		form.model = deployment
	}
	if fl := form.validate(); fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(form.prompt); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, form.model); done {
		return err
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	h := newHasher()
	h.addBytes(form.file)
	words := completionPieces(h.sum(), b.Tokens)
	return form.write(w, words, b.Usage)
}

func parseTranscriptionForm(contentType string, body []byte) (*oaTranscriptionForm, *failure) {
	mediaType, params, err := mime.ParseMediaType(contentType)
	if err != nil || mediaType != "multipart/form-data" {
		return nil, &failure{Status: http.StatusBadRequest, Message: fmt.Sprintf("Invalid Content-Type header (%s), "+
			"expected multipart/form-data. (HINT: If you're using curl, you can pass -H 'Content-Type: multipart/form-data')", contentType)}
	}
	form := &oaTranscriptionForm{rfmt: "json"}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return nil, &failure{Status: http.StatusBadRequest, Message: "Could not parse multipart form: " + err.Error()}
		}
		v, err := io.ReadAll(p)
		if err != nil {
			return nil, &failure{Status: http.StatusBadRequest, Message: "Could not parse multipart form: " + err.Error()}
		}
		switch p.FormName() {
		case "file":
			form.file, form.hasFile = v, true
		case "model":
			form.model = string(v)
		case "language":
			form.language = string(v)
		case "prompt":
			form.prompt = string(v)
		case "response_format":
			form.rfmt = string(v)
		case "temperature":
			form.temperature = string(v)
		}
	}
}

func (form *oaTranscriptionForm) validate() *failure {
	switch {
	case !form.hasFile:
		return missingParam("file")
	case form.model == "":
		return missingParam("model")
	}
	if _, ok := transcriptFormats[form.rfmt]; !ok {
		return &failure{Status: http.StatusBadRequest, Param: "response_format", Code: "invalid_value",
			Message: fmt.Sprintf("Invalid value: '%s'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.", form.rfmt)}
	}
	if strings.HasPrefix(form.model, "gpt-") && form.rfmt != "json" && form.rfmt != "text" {
		return &failure{Status: http.StatusBadRequest, Param: "response_format", Code: "unsupported_value",
			Message: fmt.Sprintf("response_format '%s' is not compatible with model '%s'. Use 'json' or 'text' instead.", form.rfmt, form.model)}
	}
	if form.temperature != "" {
		if t, err := strconv.ParseFloat(form.temperature, 64); err != nil || t < 0 || t > 1 {
			return &failure{Status: http.StatusBadRequest, Param: "temperature", Code: "invalid_value",
				Message: fmt.Sprintf("Invalid 'temperature': expected a number between 0 and 1, got '%s'.", form.temperature)}
		}
	}
	return nil
}

// segment is a run of words with its time span.
type segment struct {
	text       string
	start, end float64
}

func segments(words []string) []segment {
	var out []segment
	for i := 0; i < len(words); i += wordsPerSegment {
		j := min(i+wordsPerSegment, len(words))
		out = append(out, segment{text: strings.TrimSpace(strings.Join(words[i:j], "")),
			start: float64(i) * secondsPerWord, end: float64(j) * secondsPerWord})
	}
	return out
}

// write renders the transcript in the form's response_format.
func (form *oaTranscriptionForm) write(w http.ResponseWriter, words []string, withUsage bool) error {
	text := strings.Join(words, "")
	duration := float64(len(words)) * secondsPerWord
	ctype := transcriptFormats[form.rfmt]
	var sb strings.Builder
	switch form.rfmt {
	case "text":
		return writeBody(w, http.StatusOK, ctype, []byte(text+"\n"))
	case "srt":
		for i, sg := range segments(words) {
			fmt.Fprintf(&sb, "%d\n%s --> %s\n%s\n\n", i+1, timestamp(sg.start, ','), timestamp(sg.end, ','), sg.text)
		}
		return writeBody(w, http.StatusOK, ctype, []byte(sb.String()))
	case "vtt":
		sb.WriteString("WEBVTT\n\n")
		for _, sg := range segments(words) {
			fmt.Fprintf(&sb, "%s --> %s\n%s\n\n", timestamp(sg.start, '.'), timestamp(sg.end, '.'), sg.text)
		}
		return writeBody(w, http.StatusOK, ctype, []byte(sb.String()))
	case "verbose_json":
		return writeJSON(w, http.StatusOK, form.verbose(text, duration, words, withUsage))
	}
	resp := struct {
		Text  string `json:"text"`
		Usage any    `json:"usage,omitempty"`
	}{Text: text}
	if withUsage {
		resp.Usage = form.usage(duration, len(words))
	}
	return writeJSON(w, http.StatusOK, resp)
}

// usage is billed by duration for whisper-1 and by tokens for the GPT transcribe models.
func (form *oaTranscriptionForm) usage(duration float64, outputTokens int) any {
	if !strings.HasPrefix(form.model, "gpt-") {
		return map[string]any{"type": "duration", "seconds": int(duration + 0.999)}
	}
	audio := int(duration * 10) // about ten audio tokens a second
	return map[string]any{"type": "tokens", "input_tokens": audio, "output_tokens": outputTokens,
		"total_tokens": audio + outputTokens, "input_token_details": map[string]int{"text_tokens": 0, "audio_tokens": audio}}
}

type oaVerboseSegment struct {
	ID               int     `json:"id"`
	Seek             int     `json:"seek"`
	Start            float64 `json:"start"`
	End              float64 `json:"end"`
	Text             string  `json:"text"`
	Tokens           []int   `json:"tokens"`
	Temperature      float64 `json:"temperature"`
	AvgLogprob       float64 `json:"avg_logprob"`
	CompressionRatio float64 `json:"compression_ratio"`
	NoSpeechProb     float64 `json:"no_speech_prob"`
}

func (form *oaTranscriptionForm) verbose(text string, duration float64, words []string, withUsage bool) any {
	language := form.language
	if language == "" {
		language = "english"
	}
	segs := []oaVerboseSegment{}
	for i, sg := range segments(words) {
		tokens := make([]int, 0, wordsPerSegment)
		for k := range strings.Fields(sg.text) {
			tokens = append(tokens, 50364+i*wordsPerSegment+k)
		}
		segs = append(segs, oaVerboseSegment{ID: i, Start: sg.start, End: sg.end, Text: " " + sg.text, Tokens: tokens,
			AvgLogprob: -0.25, CompressionRatio: 1.2, NoSpeechProb: 0.01})
	}
	out := map[string]any{"task": "transcribe", "language": language, "duration": duration, "text": text, "segments": segs}
	if withUsage {
		out["usage"] = form.usage(duration, len(words))
	}
	return out
}

// timestamp renders seconds as HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT).
func timestamp(sec float64, sep byte) string {
	ms := int(sec*1000 + 0.5)
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}

// addBytes hashes raw bytes (an uploaded file) like add does a string, without copying them.
func (h *hasher) addBytes(b []byte) {
	x := uint64(*h)
	for _, c := range b {
		x ^= uint64(c)
		x *= 1099511628211
	}
	x ^= 0xff
	x *= 1099511628211
	*h = hasher(x)
}

// Speech.

const (
	maxSpeechInput   = 4096 // characters
	speechChunkBytes = 960  // 20 ms of 24 kHz 16-bit mono PCM
	speechSampleRate = 24000
)

// speechTypes are the content types of each response_format, as the API sends them.
var speechTypes = map[string]string{
	"mp3": "audio/mpeg", "opus": "audio/opus", "aac": "audio/aac", "flac": "audio/flac", "wav": "audio/wav", "pcm": "audio/pcm",
}

type oaSpeechRequest struct {
	Model          string          `json:"model"`
	Input          *string         `json:"input"`
	Voice          json.RawMessage `json:"voice"`
	ResponseFormat string          `json:"response_format"`
	Speed          *float64        `json:"speed"`
}

func (req *oaSpeechRequest) validate() *failure {
	switch {
	case req.Model == "":
		return &failure{Status: http.StatusBadRequest, Message: "you must provide a model parameter"}
	case req.Input == nil || *req.Input == "":
		return missingParam("input")
	case len(*req.Input) > maxSpeechInput:
		return &failure{Status: http.StatusBadRequest, Param: "input", Code: "string_above_max_length",
			Message: fmt.Sprintf("Invalid 'input': string too long. Expected a string with maximum length %d, but got a string with length %d instead.", maxSpeechInput, len(*req.Input))}
	case len(req.Voice) == 0 || string(req.Voice) == "null":
		return missingParam("voice")
	}
	if req.ResponseFormat == "" {
		req.ResponseFormat = "mp3"
	}
	if _, ok := speechTypes[req.ResponseFormat]; !ok {
		return &failure{Status: http.StatusBadRequest, Param: "response_format", Code: "invalid_value",
			Message: fmt.Sprintf("Invalid value: '%s'. Supported values are: 'mp3', 'opus', 'aac', 'flac', 'wav', and 'pcm'.", req.ResponseFormat)}
	}
	if req.Speed != nil && (*req.Speed < 0.25 || *req.Speed > 4) {
		return &failure{Status: http.StatusBadRequest, Param: "speed", Code: "invalid_value",
			Message: fmt.Sprintf("Invalid 'speed': expected a number between 0.25 and 4.0, got %g.", *req.Speed)}
	}
	return nil
}

// speech serves a text-to-speech request; deployment, when set, names the model (Azure).
func (s *Server) speech(w http.ResponseWriter, r *http.Request, body []byte, deployment string) error {
	f := openaiFormat{}
	var req oaSpeechRequest
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if deployment != "" {
		req.Model = deployment
	}
	if fl := req.validate(); fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(*req.Input); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, req.Model); done {
		return err
	}
	h := newHasher()
	h.add(req.Model)
	h.add(*req.Input)
	h.add(string(req.Voice))
	pieces := max(b.Tokens, 1)
	audio := speechAudio(req.ResponseFormat, h.sum(), pieces*speechChunkBytes)
	return s.streamAudio(r.Context(), w, &b, speechTypes[req.ResponseFormat], audio, pieces)
}

// streamAudio writes audio in `pieces` writes, chunked like the API's (no Content-Length):
// headers, TTFT, then a piece per token_delay. Binary audio has no in-band error, so
// error_after breaks the connection like cut_after.
func (s *Server) streamAudio(ctx context.Context, w http.ResponseWriter, b *behavior, ctype string, audio []byte, pieces int) error {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("X-Request-Id", randomID("req_", 32))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	if b.TTFT > 0 {
		_ = rc.Flush()
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	size := (len(audio) + pieces - 1) / pieces
	for k := 0; ; k++ {
		last := k == pieces
		if b.faultAt(k, last) != faultNone {
			_ = rc.Flush()
			return errAbort
		}
		if last {
			return nil
		}
		if k > 0 && b.TokenDelay > 0 {
			if err := s.wait(ctx, b.TokenDelay); err != nil {
				return err
			}
		}
		piece := audio[min(k*size, len(audio)):min((k+1)*size, len(audio))]
		if _, err := w.Write(piece); err != nil {
			return fmt.Errorf("write audio: %w: %w", errClientGone, err)
		}
		if b.TokenDelay > 0 {
			if err := rc.Flush(); err != nil {
				return fmt.Errorf("flush: %w: %w", errClientGone, err)
			}
		}
	}
}

// speechAudio returns about n bytes of audio in format: a real WAV file (RIFF header, 24 kHz
// 16-bit mono PCM), raw PCM, or for the compressed formats their magic bytes and frame
// headers around deterministic filler — enough for a sniffer, not for a decoder.
func speechAudio(format string, seed uint64, n int) []byte {
	rnd := rng(seed)
	samples := make([]byte, n&^1)
	for i := 0; i < len(samples); i += 2 {
		binary.LittleEndian.PutUint16(samples[i:], uint16(int16(rnd.next()%2001)-1000)) // quiet noise
	}
	switch format {
	case "pcm":
		return samples
	case "wav":
		return append(wavHeader(len(samples)), samples...)
	case "mp3":
		return framed(samples, []byte{0xff, 0xfb, 0x90, 0x64}, 417) // MPEG-1 layer III, 128 kbit/s, 44.1 kHz
	case "aac":
		return framed(samples, []byte{0xff, 0xf1, 0x50, 0x80, 0x3f, 0xff, 0xfc}, 384) // ADTS, LC, 24 kHz, mono
	case "flac":
		return append([]byte("fLaC"), samples...)
	}
	return append([]byte("OggS\x00\x02"), samples...) // opus in Ogg
}

func wavHeader(dataLen int) []byte {
	h := make([]byte, 0, 44)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+dataLen))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16) // PCM fmt chunk size
	h = binary.LittleEndian.AppendUint16(h, 1)  // PCM
	h = binary.LittleEndian.AppendUint16(h, 1)  // mono
	h = binary.LittleEndian.AppendUint32(h, speechSampleRate)
	h = binary.LittleEndian.AppendUint32(h, speechSampleRate*2) // byte rate
	h = binary.LittleEndian.AppendUint16(h, 2)                  // block align
	h = binary.LittleEndian.AppendUint16(h, 16)                 // bits per sample
	h = append(h, "data"...)
	return binary.LittleEndian.AppendUint32(h, uint32(dataLen))
}

// framed cuts payload into frames of frameLen bytes, each starting with header.
func framed(payload, header []byte, frameLen int) []byte {
	per := frameLen - len(header)
	out := make([]byte, 0, len(payload)+len(payload)/per*len(header)+len(header))
	for i := 0; i < len(payload); i += per {
		out = append(out, header...)
		out = append(out, payload[i:min(i+per, len(payload))]...)
	}
	return out
}
