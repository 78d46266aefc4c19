package openai

import "github.com/sluicehq/sluice/internal/provider"

// Presets are the OpenAI-compatible providers known by name, with their documented base URLs.
// A config may name any of them as a provider without a type or base_url; without a config
// file, each one whose KeyEnv is set is enabled.
var Presets = []provider.Preset{
	{Name: "openai", BaseURL: "https://api.openai.com/v1", KeyEnv: "OPENAI_API_KEY"},
	{Name: "groq", BaseURL: "https://api.groq.com/openai/v1", KeyEnv: "GROQ_API_KEY"},
	{Name: "mistral", BaseURL: "https://api.mistral.ai/v1", KeyEnv: "MISTRAL_API_KEY"},
	{Name: "together", BaseURL: "https://api.together.xyz/v1", KeyEnv: "TOGETHER_API_KEY"},
	{Name: "fireworks", BaseURL: "https://api.fireworks.ai/inference/v1", KeyEnv: "FIREWORKS_API_KEY"},
	{Name: "deepseek", BaseURL: "https://api.deepseek.com/v1", KeyEnv: "DEEPSEEK_API_KEY"},
	{Name: "xai", BaseURL: "https://api.x.ai/v1", KeyEnv: "XAI_API_KEY"},
	{Name: "openrouter", BaseURL: "https://openrouter.ai/api/v1", KeyEnv: "OPENROUTER_API_KEY"},
	{Name: "perplexity", BaseURL: "https://api.perplexity.ai", KeyEnv: "PERPLEXITY_API_KEY"},
	{Name: "ollama", BaseURL: "http://127.0.0.1:11434/v1"},
	{Name: "vllm", BaseURL: "http://127.0.0.1:8000/v1"},
	{Name: "lmstudio", BaseURL: "http://127.0.0.1:1234/v1"},
}
