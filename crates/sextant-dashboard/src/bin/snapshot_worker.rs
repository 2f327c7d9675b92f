//! The snapshot reader worker: says `"ready"`, then receives a luml snapshot tar and
//! answers `{ok, batch}` with the experiment as batch JSON, or `{ok: false, error}`. Built only with the `snapshot`
//! feature, so SQLite stays out of the dashboard's own wasm.

#[cfg(target_arch = "wasm32")]
fn main() {
    use js_sys::{Object, Reflect, Uint8Array};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let bytes = Uint8Array::new(&e.data()).to_vec();
        let reply = Object::new();
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&reply, &k.into(), &v);
        };
        match sextant_snapshot_wasm::read_snapshot(&bytes) {
            Ok(json) => {
                set("ok", true.into());
                set("batch", String::from_utf8_lossy(&json).as_ref().into());
            }
            Err(err) => {
                set("ok", false.into());
                set("error", err.to_string().into());
            }
        }
        let _ = reply_to.post_message(&reply);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    // Messages sent before the handler existed are lost: tell the page to send now.
    let _ = scope.post_message(&"ready".into());
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}
