package auth

// LogBodiesKey is the team metadata entry and key tag that choose how much of a request's
// prompt and answer the request log keeps: off, metadata or full. A key's tag wins over its
// team's metadata, which wins over the configured default (logging.bodies).
const LogBodiesKey = "log_bodies"

// LogBodies is the body mode the principal's key or team asks for, "" when neither does.
// The caller validates the value: a mistyped mode must not silently keep more than intended.
func (p *Principal) LogBodies() string {
	if v, ok := p.Tags[LogBodiesKey]; ok {
		return v
	}
	return p.teamLogBodies
}
