package config

import "github.com/sluicehq/sluice/internal/secret"

// FromEnvironment builds the configuration used when there is no file: every well-known
// provider whose key variable is set is enabled and callable as provider/model. keyEnvs maps
// a provider name to the variable holding its key (OPENAI_API_KEY, ...).
func FromEnvironment(keyEnvs map[string]string, lookup func(string) (string, bool)) *Config {
	cfg := &Config{Providers: map[string]Provider{}}
	for name, env := range keyEnvs {
		if key, ok := lookup(env); ok && key != "" {
			cfg.Providers[name] = Provider{APIKey: secret.New(key)}
		}
	}
	if v, ok := lookup("SLUICE_MASTER_KEY"); ok && v != "" {
		cfg.Auth.MasterKey = secret.New(v)
	}
	if v, ok := lookup("SLUICE_KEY_PEPPER"); ok && v != "" {
		cfg.Auth.KeyPepper = secret.New(v)
	}
	cfg.ApplyDefaults()
	return cfg
}
