package app

import (
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/ratelimit"
)

// rateLimitPolicy turns the rate_limits section into the gateway's read-only policy.
func rateLimitPolicy(c config.RateLimits) *ratelimit.Policy {
	conv := func(m map[string]config.RateLimit) map[string]ratelimit.Limits {
		out := make(map[string]ratelimit.Limits, len(m))
		for k, v := range m {
			out[k] = limits(v)
		}
		return out
	}
	return &ratelimit.Policy{Default: limits(c.Default), Teams: conv(c.Teams), Users: conv(c.Users), Models: conv(c.Models)}
}

func limits(l config.RateLimit) ratelimit.Limits {
	return ratelimit.Limits{RPM: l.RPM, TPM: l.TPM, Concurrency: l.Concurrency}
}

// limitShareQueue bounds the identities waiting to have their consumption broadcast; one per
// identity, so only thousands of keys busy within one coalescing window could fill it.
const limitShareQueue = 4096

// newLimiter returns the gateway's rate limiter; with a control plane its consumption is
// shared, so the nodes together keep each limit instead of each node keeping all of it.
func newLimiter(cfg *config.Config) *ratelimit.Limiter {
	l := ratelimit.New()
	if cfg.Cluster.Enabled() {
		l.Share(limitShareQueue)
	}
	return l
}
