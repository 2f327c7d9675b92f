//! Images over steps (`log_image`): one card per image key with a step slider, showing each
//! run's image at that step side by side (one run on a run's Images tab, several on the
//! compare page). Reads each key's `media/KEY/index.json` (one request per key and run),
//! then only the images of the step on screen.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use sextant_core::model::media::image_keys;
use sextant_core::{MediaImage, MediaIndex};
use yew::prelude::*;

use super::charts::RunRef;
use super::ctx::use_ctx;
use super::dom::ObjectUrl;
use super::widgets::{Empty, ErrorBox, Loading};

/// A run's image indexes, by key.
type RunMedia = BTreeMap<String, Rc<MediaIndex>>;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub runs: Rc<Vec<RunRef>>,
    /// Say so when no run has images (the run page); the compare page shows nothing then.
    #[prop_or_default]
    pub explain_empty: bool,
}

/// Every image key of `runs`, each with its slider.
#[function_component]
pub fn MediaPanel(props: &Props) -> Html {
    let ctx = use_ctx();
    let loaded = use_state(|| None::<Result<Rc<Vec<RunMedia>>, String>>);
    let store = ctx.as_ref().and_then(|c| c.store());
    let generation = ctx.as_ref().map(|c| c.generation).unwrap_or(0);
    let ids: Vec<String> = props.runs.iter().map(|r| r.id.clone()).collect();
    {
        let loaded = loaded.clone();
        use_effect_with((generation, ids), move |(_, ids)| {
            if let Some(store) = store {
                let ids = ids.clone();
                loaded.set(None);
                wasm_bindgen_futures::spawn_local(async move {
                    let mut all = Vec::new();
                    for id in &ids {
                        match load_run(store.as_ref(), id).await {
                            Ok(m) => all.push(m),
                            Err(e) => {
                                loaded.set(Some(Err(e)));
                                return;
                            }
                        }
                    }
                    loaded.set(Some(Ok(Rc::new(all))));
                });
            }
        });
    }
    let media = match &*loaded {
        None => return html! { <Loading label="Loading images…" /> },
        Some(Err(e)) => return html! { <ErrorBox message={e.clone()} /> },
        Some(Ok(m)) => m.clone(),
    };
    let keys: BTreeSet<&String> = media.iter().flat_map(|m| m.keys()).collect();
    if keys.is_empty() {
        return if props.explain_empty {
            html! {
                <Empty title="No images logged">
                    <p>{ "Log images over steps with " }<code>{ "tracker.log_image(\"samples\", png_bytes, step)" }</code>{ "; each key gets a slider here." }</p>
                </Empty>
            }
        } else {
            html! {}
        };
    }
    html! {
        <div class="media">
            { for keys.into_iter().map(|key| {
                let indexes: Vec<Option<Rc<MediaIndex>>> =
                    media.iter().map(|m| m.get(key).cloned()).collect();
                html! {
                    <ImageKey key={key.clone()} name={key.clone()} runs={props.runs.clone()} indexes={Rc::new(indexes)} />
                }
            }) }
        </div>
    }
}

/// A run's indexes; a key whose index cannot be read is left out rather than failing the
/// page (its images stay reachable from the Attachments tab).
async fn load_run(store: &dyn sextant_core::Store, id: &str) -> Result<RunMedia, String> {
    let attachments = store
        .list_attachments(id)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = RunMedia::new();
    for key in image_keys(&attachments) {
        if let Ok(bytes) = store
            .get_attachment(id, &MediaIndex::attachment_name(&key))
            .await
        {
            if let Ok(index) = MediaIndex::parse(&bytes) {
                out.insert(key, Rc::new(index));
            }
        }
    }
    Ok(out)
}

/// Every step any run logged for the key, ascending.
fn union_steps(indexes: &[Option<Rc<MediaIndex>>]) -> Vec<i64> {
    let steps: BTreeSet<i64> = indexes
        .iter()
        .flatten()
        .flat_map(|ix| ix.images.iter().map(|i| i.step))
        .collect();
    steps.into_iter().collect()
}

/// The image a run shows at `step`: its own at that step, else its latest before it.
fn at_step(index: &MediaIndex, step: i64) -> Option<&MediaImage> {
    index.images.iter().take_while(|i| i.step <= step).last()
}

#[derive(Properties, PartialEq)]
struct KeyProps {
    name: String,
    runs: Rc<Vec<RunRef>>,
    /// One per run, in `runs` order; `None` where the run has no such key.
    indexes: Rc<Vec<Option<Rc<MediaIndex>>>>,
}

#[function_component]
fn ImageKey(props: &KeyProps) -> Html {
    let ctx = use_ctx();
    let steps = union_steps(&props.indexes);
    let position = use_state(|| steps.len().saturating_sub(1));
    // Object URLs by attachment name (per run), kept while the card lives.
    let urls = use_state(HashMap::<(String, String), Result<Rc<ObjectUrl>, String>>::new);
    let pos = (*position).min(steps.len().saturating_sub(1));
    let step = steps.get(pos).copied().unwrap_or(0);
    let shown: Vec<Option<MediaImage>> = props
        .indexes
        .iter()
        .map(|ix| ix.as_ref().and_then(|ix| at_step(ix, step)).cloned())
        .collect();
    {
        let urls = urls.clone();
        let store = ctx.as_ref().and_then(|c| c.store());
        let runs = props.runs.clone();
        let wanted: Vec<(String, MediaImage)> = runs
            .iter()
            .zip(&shown)
            .filter_map(|(r, img)| img.clone().map(|i| (r.id.clone(), i)))
            .collect();
        use_effect_with(wanted, move |wanted| {
            if let Some(store) = store {
                let wanted = wanted.clone();
                let have: BTreeSet<(String, String)> = urls.keys().cloned().collect();
                let missing: Vec<(String, MediaImage)> = wanted
                    .into_iter()
                    .filter(|(id, img)| !have.contains(&(id.clone(), img.name.clone())))
                    .collect();
                if !missing.is_empty() {
                    let urls = urls.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        let mut next = (*urls).clone();
                        for (id, img) in missing {
                            let got = store
                                .get_attachment(&id, &img.name)
                                .await
                                .map_err(|e| e.to_string())
                                .and_then(|b| ObjectUrl::new(&b, img.format.mime()))
                                .map(Rc::new);
                            next.insert((id, img.name.clone()), got);
                        }
                        urls.set(next);
                    });
                }
            }
        });
    }
    let oninput = {
        let position = position.clone();
        Callback::from(move |e: InputEvent| {
            let input: web_sys::HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<usize>() {
                position.set(v);
            }
        })
    };
    let max = steps.len().saturating_sub(1);
    html! {
        <section class="card media-key" data-key={props.name.clone()}>
            <h3>
                { props.name.clone() }
                <span class="muted media-step">{ format!(" · step {step}") }</span>
                <span class="muted">{ format!(" ({} of {})", pos + 1, steps.len()) }</span>
            </h3>
            <input type="range" class="media-slider" min="0" max={max.to_string()} step="1"
                value={pos.to_string()} {oninput} disabled={max == 0}
                aria-label={format!("step of {}", props.name)} />
            <div class="media-row">
                { for props.runs.iter().zip(&shown).map(|(run, img)| {
                    let body = match img {
                        None => html! { <div class="media-missing muted">{ "no image yet" }</div> },
                        Some(img) => match urls.get(&(run.id.clone(), img.name.clone())) {
                            None => html! { <Loading label="Loading…" /> },
                            Some(Err(e)) => html! { <div class="media-missing muted">{ e.clone() }</div> },
                            Some(Ok(url)) => html! {
                                <img src={url.url().to_string()} alt={format!("{} at step {}", props.name, img.step)}
                                    data-step={img.step.to_string()} />
                            },
                        },
                    };
                    html! {
                        <figure class="media-cell" data-run={run.id.clone()}>
                            { body }
                            if props.runs.len() > 1 {
                                <figcaption>
                                    <span class="swatch" style={format!("background:{}", run.color)}></span>
                                    { run.name.clone() }
                                </figcaption>
                            }
                        </figure>
                    }
                }) }
            </div>
        </section>
    }
}
