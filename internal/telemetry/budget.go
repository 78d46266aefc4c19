package telemetry

import "github.com/prometheus/client_golang/prometheus"

// BudgetSource reports each budget's utilisation (spent / limit) in its current period;
// *budget.Ledger.
type BudgetSource interface {
	Utilization(yield func(id string, u float64))
}

var budgetUtilizationDesc = prometheus.NewDesc("sluice_budget_utilization",
	"Spent share of each budget's limit in its current period (1 = exhausted).", []string{"budget"}, nil)

// budgetCollector reads the ledger at scrape time, so the request path updates no gauge.
type budgetCollector struct{ src BudgetSource }

func (c budgetCollector) Describe(ch chan<- *prometheus.Desc) { ch <- budgetUtilizationDesc }

func (c budgetCollector) Collect(ch chan<- prometheus.Metric) {
	c.src.Utilization(func(id string, u float64) {
		ch <- prometheus.MustNewConstMetric(budgetUtilizationDesc, prometheus.GaugeValue, u, id)
	})
}

// WatchBudgets exports sluice_budget_utilization from src; the budget label is bounded by
// the configured budgets.
func (m *Metrics) WatchBudgets(src BudgetSource) { m.reg.MustRegister(budgetCollector{src}) }
