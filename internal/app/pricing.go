package app

import (
	"fmt"
	"os"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/pricing"
)

// priceCatalog is the shipped catalog with the operator's price file and custom rates applied.
// Rates were validated with the rest of the configuration.
func priceCatalog(cfg config.Pricing) (*pricing.Catalog, error) {
	catalog := pricing.Default()
	if cfg.File != "" {
		data, err := os.ReadFile(cfg.File)
		if err != nil {
			return nil, fmt.Errorf("pricing.file: %w", err)
		}
		if catalog, err = pricing.Load(data); err != nil {
			return nil, fmt.Errorf("pricing.file %s: %w", cfg.File, err)
		}
	}
	return catalog.With(cfg.Rates...), nil
}
