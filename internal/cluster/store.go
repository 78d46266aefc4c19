package cluster

import (
	"context"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// NotifyingStore wraps a store so that every mutation that bumps the change counter (the
// control-plane data: teams, projects, users, keys, credentials, model routes, guardrail
// policies) calls notify after it committed. Spend, logs, audit events, responses and
// batches do not bump the counter and pass straight through.
type NotifyingStore struct {
	store.Store
	notify func(ctx context.Context, version int64, kind string)
}

// WrapStore returns st with notify called after each committed control-plane change.
func WrapStore(st store.Store, notify func(ctx context.Context, version int64, kind string)) *NotifyingStore {
	return &NotifyingStore{Store: st, notify: notify}
}

// changed reads the counter the change left and notifies; detached from ctx, since the
// change is committed whether or not the caller is still waiting.
func (s *NotifyingStore) changed(ctx context.Context, kind string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	v, err := s.Store.Version(ctx)
	if err != nil {
		v = 0 // receivers read the counter themselves; the number is informative
	}
	s.notify(ctx, v, kind)
}

func after[T any](s *NotifyingStore, ctx context.Context, kind string, v T, err error) (T, error) {
	if err == nil {
		s.changed(ctx, kind)
	}
	return v, err
}

func afterErr(s *NotifyingStore, ctx context.Context, kind string, err error) error {
	if err == nil {
		s.changed(ctx, kind)
	}
	return err
}

// Kinds of change, as carried in notices.
const (
	KindTeam            = "team"
	KindProject         = "project"
	KindUser            = "user"
	KindKey             = "key"
	KindCredential      = "credential"
	KindModelRoute      = "model_route"
	KindGuardrailPolicy = "guardrail_policy"
	KindBudget          = "budget"
)

func (s *NotifyingStore) CreateTeam(ctx context.Context, t store.Team) (store.Team, error) {
	v, err := s.Store.CreateTeam(ctx, t)
	return after(s, ctx, KindTeam, v, err)
}

func (s *NotifyingStore) UpdateTeam(ctx context.Context, t store.Team) (store.Team, error) {
	v, err := s.Store.UpdateTeam(ctx, t)
	return after(s, ctx, KindTeam, v, err)
}

func (s *NotifyingStore) DeleteTeam(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindTeam, s.Store.DeleteTeam(ctx, id))
}

func (s *NotifyingStore) CreateProject(ctx context.Context, p store.Project) (store.Project, error) {
	v, err := s.Store.CreateProject(ctx, p)
	return after(s, ctx, KindProject, v, err)
}

func (s *NotifyingStore) UpdateProject(ctx context.Context, p store.Project) (store.Project, error) {
	v, err := s.Store.UpdateProject(ctx, p)
	return after(s, ctx, KindProject, v, err)
}

func (s *NotifyingStore) DeleteProject(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindProject, s.Store.DeleteProject(ctx, id))
}

func (s *NotifyingStore) CreateUser(ctx context.Context, u store.User) (store.User, error) {
	v, err := s.Store.CreateUser(ctx, u)
	return after(s, ctx, KindUser, v, err)
}

func (s *NotifyingStore) UpdateUser(ctx context.Context, u store.User) (store.User, error) {
	v, err := s.Store.UpdateUser(ctx, u)
	return after(s, ctx, KindUser, v, err)
}

func (s *NotifyingStore) DeleteUser(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindUser, s.Store.DeleteUser(ctx, id))
}

func (s *NotifyingStore) CreateKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	v, err := s.Store.CreateKey(ctx, k)
	return after(s, ctx, KindKey, v, err)
}

func (s *NotifyingStore) UpdateKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	v, err := s.Store.UpdateKey(ctx, k)
	return after(s, ctx, KindKey, v, err)
}

func (s *NotifyingStore) RevokeKey(ctx context.Context, id string) (store.APIKey, error) {
	v, err := s.Store.RevokeKey(ctx, id)
	return after(s, ctx, KindKey, v, err)
}

func (s *NotifyingStore) RotateKey(ctx context.Context, id, prefix string, hash []byte) (store.APIKey, error) {
	v, err := s.Store.RotateKey(ctx, id, prefix, hash)
	return after(s, ctx, KindKey, v, err)
}

func (s *NotifyingStore) DeleteKey(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindKey, s.Store.DeleteKey(ctx, id))
}

func (s *NotifyingStore) CreateCredential(ctx context.Context, c store.ProviderCredential) (store.ProviderCredential, error) {
	v, err := s.Store.CreateCredential(ctx, c)
	return after(s, ctx, KindCredential, v, err)
}

func (s *NotifyingStore) UpdateCredential(ctx context.Context, c store.ProviderCredential) (store.ProviderCredential, error) {
	v, err := s.Store.UpdateCredential(ctx, c)
	return after(s, ctx, KindCredential, v, err)
}

func (s *NotifyingStore) DeleteCredential(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindCredential, s.Store.DeleteCredential(ctx, id))
}

func (s *NotifyingStore) CreateModelRoute(ctx context.Context, m store.ModelRoute) (store.ModelRoute, error) {
	v, err := s.Store.CreateModelRoute(ctx, m)
	return after(s, ctx, KindModelRoute, v, err)
}

func (s *NotifyingStore) UpdateModelRoute(ctx context.Context, m store.ModelRoute) (store.ModelRoute, error) {
	v, err := s.Store.UpdateModelRoute(ctx, m)
	return after(s, ctx, KindModelRoute, v, err)
}

func (s *NotifyingStore) DeleteModelRoute(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindModelRoute, s.Store.DeleteModelRoute(ctx, id))
}

func (s *NotifyingStore) CreateGuardrailPolicy(ctx context.Context, p store.GuardrailPolicy) (store.GuardrailPolicy, error) {
	v, err := s.Store.CreateGuardrailPolicy(ctx, p)
	return after(s, ctx, KindGuardrailPolicy, v, err)
}

func (s *NotifyingStore) UpdateGuardrailPolicy(ctx context.Context, p store.GuardrailPolicy) (store.GuardrailPolicy, error) {
	v, err := s.Store.UpdateGuardrailPolicy(ctx, p)
	return after(s, ctx, KindGuardrailPolicy, v, err)
}

func (s *NotifyingStore) DeleteGuardrailPolicy(ctx context.Context, name string) error {
	return afterErr(s, ctx, KindGuardrailPolicy, s.Store.DeleteGuardrailPolicy(ctx, name))
}

func (s *NotifyingStore) CreateStoredBudget(ctx context.Context, b store.StoredBudget) (store.StoredBudget, error) {
	v, err := s.Store.CreateStoredBudget(ctx, b)
	return after(s, ctx, KindBudget, v, err)
}

func (s *NotifyingStore) UpdateStoredBudget(ctx context.Context, b store.StoredBudget) (store.StoredBudget, error) {
	v, err := s.Store.UpdateStoredBudget(ctx, b)
	return after(s, ctx, KindBudget, v, err)
}

func (s *NotifyingStore) DeleteStoredBudget(ctx context.Context, id string) error {
	return afterErr(s, ctx, KindBudget, s.Store.DeleteStoredBudget(ctx, id))
}
