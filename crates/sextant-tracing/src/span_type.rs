//! luml's span types, so LLM pipelines show as chat/agent/tool/embedding spans.

use serde_json::{Map, Value};
use sextant_core::AttrValue;

/// `dfs_span_type` from OpenTelemetry GenAI attributes (`gen_ai.operation.name`) or the
/// older OpenLLMetry one (`llm.request.type`): 1 chat, 2 agent, 3 tool, 4 embedder,
/// 5 reranker, 0 anything else.
pub fn span_type_of(attributes: &Map<String, Value>) -> i64 {
    operation_type(
        OPERATION_KEYS
            .iter()
            .find_map(|k| attributes.get(*k).and_then(Value::as_str)),
    )
}

const OPERATION_KEYS: [&str; 2] = ["gen_ai.operation.name", "llm.request.type"];

/// [`span_type_of`] over a recorded span's typed fields.
pub(crate) fn span_type_of_fields(fields: &[(&'static str, AttrValue)]) -> i64 {
    operation_type(OPERATION_KEYS.iter().find_map(|k| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .and_then(|(_, v)| match v {
                AttrValue::Str(s) => Some(s.as_str()),
                AttrValue::Static(s) => Some(*s),
                _ => None,
            })
    }))
}

fn operation_type(op: Option<&str>) -> i64 {
    let op = op.map(str::to_ascii_lowercase);
    match op.as_deref() {
        Some("chat" | "completion" | "text_completion" | "generate_content") => 1,
        Some("agent" | "invoke_agent" | "create_agent") => 2,
        Some("tool" | "execute_tool") => 3,
        Some("embeddings" | "embedding") => 4,
        Some("rerank" | "reranker") => 5,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn recognises_genai_and_openllmetry_names() {
        let m = |k: &str, v: &str| json!({ k: v }).as_object().cloned().unwrap_or_default();
        assert_eq!(super::span_type_of(&m("gen_ai.operation.name", "chat")), 1);
        assert_eq!(
            super::span_type_of(&m("gen_ai.operation.name", "invoke_agent")),
            2
        );
        assert_eq!(
            super::span_type_of(&m("gen_ai.operation.name", "execute_tool")),
            3
        );
        assert_eq!(super::span_type_of(&m("llm.request.type", "embeddings")), 4);
        assert_eq!(super::span_type_of(&m("other", "chat")), 0);
    }
}
