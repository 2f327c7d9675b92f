//! Small shared pieces: empty states, errors, loading, status badges, tags.

use sextant_core::Status;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct EmptyProps {
    pub title: AttrValue,
    #[prop_or_default]
    pub children: Html,
}

/// A friendly explanation where there is nothing to show yet.
#[function_component]
pub fn Empty(props: &EmptyProps) -> Html {
    html! {
        <div class="empty">
            <h2>{ props.title.clone() }</h2>
            { props.children.clone() }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    pub message: AttrValue,
    #[prop_or_default]
    pub retry: Option<Callback<()>>,
}

/// An error as a visible box, with a retry when the caller has one.
#[function_component]
pub fn ErrorBox(props: &ErrorProps) -> Html {
    html! {
        <div class="error-box" role="alert">
            <strong>{ "Something went wrong. " }</strong>
            <span>{ props.message.clone() }</span>
            if let Some(retry) = props.retry.clone() {
                <button class="btn small" onclick={Callback::from(move |_| retry.emit(()))}>{ "Retry" }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct LoadingProps {
    #[prop_or(AttrValue::Static("Loading…"))]
    pub label: AttrValue,
}

#[function_component]
pub fn Loading(props: &LoadingProps) -> Html {
    html! { <div class="loading"><span class="spinner"></span>{ props.label.clone() }</div> }
}

#[derive(Properties, PartialEq)]
pub struct StatusProps {
    pub status: Status,
}

#[function_component]
pub fn StatusBadge(props: &StatusProps) -> Html {
    status_badge(props.status)
}

/// The badge as plain markup, for places where a component per cell costs too much.
pub fn status_badge(status: Status) -> Html {
    let s = status.as_str();
    html! { <span class={classes!("status", s)} title={s}><span class="dot"></span>{ s }</span> }
}

#[derive(Properties, PartialEq)]
pub struct TagsProps {
    pub tags: Vec<String>,
}

#[function_component]
pub fn Tags(props: &TagsProps) -> Html {
    tags(&props.tags)
}

pub fn tags(tags: &[String]) -> Html {
    html! {
        <span class="tags">
            { for tags.iter().map(|t| html! { <span class="tag">{ t.clone() }</span> }) }
        </span>
    }
}

/// The "how do I log a first run" help shown by empty states.
#[function_component]
pub fn FirstRunHelp() -> Html {
    html! {
        <div class="first-run">
            <p>{ "Log a first run and it appears here live:" }</p>
            <div class="snippets">
                <div>
                    <h4>{ "From the command line" }</h4>
                    <pre>{ "sextant demo            # a sample training run\nsextant ui              # this dashboard over ./experiments" }</pre>
                </div>
                <div>
                    <h4>{ "From Rust" }</h4>
                    <pre>{ "let t = sextant::ExperimentTracker::new(\"sqlite://./experiments\")?;\nt.start_experiment(StartOptions::new().name(\"first\"))?;\nt.log_static(\"lr\", 3e-4, None)?;\nfor step in 0..100 { t.log_dynamic(\"train/loss\", 1.0 / (step + 1) as f64, None, None)?; }\nt.end_experiment(None)?;" }</pre>
                </div>
                <div>
                    <h4>{ "From JavaScript (this browser)" }</h4>
                    <pre>{ "import { ExperimentTracker } from \"@sextant/tracker\";\nconst t = await ExperimentTracker.open(\"idb://sextant\");\nawait t.startExperiment({ name: \"first\" });\nt.logDynamic(\"train/loss\", 0.5);\nawait t.endExperiment();" }</pre>
                    <p class="muted">{ "Or open the " }<a href="/examples/">{ "example training page" }</a>{ " on this server, then come back." }</p>
                </div>
            </div>
        </div>
    }
}
