//! The log facility through the C API: a callback captures the messages of a model load (the
//! backend selection names the backend, the load reports its time), levels filter, and a NULL
//! callback restores the default (`WASINN_LOG`, unset here: nothing), and a model with i64 ports
//! loaded on OpenVINO warns (its CPU plugin computes i64 as i32). The callback is process-wide,
//! so everything runs in one test function.

mod common;

use std::ffi::{c_char, c_void};
use std::ptr::null_mut;
use std::sync::Mutex;

use common::*;
use wasinn::capi::*;

type Captured = Mutex<Vec<(u32, String)>>;

unsafe extern "C" fn capture(level: u32, message: *const c_char, len: usize, user_data: *mut c_void) {
    let bytes = unsafe { std::slice::from_raw_parts(message.cast::<u8>(), len) };
    let captured = unsafe { &*(user_data as *const Captured) };
    captured.lock().unwrap().push((level, String::from_utf8(bytes.to_vec()).expect("messages are UTF-8")));
}

fn add_model() -> Vec<u8> {
    ModelBuilder::new()
        .input("a", Elem::Float, &[dim(2), dim(3)])
        .input("b", Elem::Float, &[dim(2), dim(3)])
        .output("sum", Elem::Float, &[dim(2), dim(3)])
        .node("Add", &["a", "b"], &["sum"])
        .into_bytes()
}

fn load(bytes: &[u8], backend: Option<&std::ffi::CStr>) {
    let b = wasinn_buffer_t { data: bytes.as_ptr(), len: bytes.len() };
    let mut g = 0;
    let name = backend.map_or(std::ptr::null(), |n| n.as_ptr());
    let s = unsafe { wasinn_graph_load_with_backend(&b, 1, WASINN_ENCODING_ONNX, WASINN_TARGET_CPU, name, &mut g) };
    assert_eq!(s, WASINN_STATUS_SUCCESS);
    assert_eq!(wasinn_graph_free(g), WASINN_STATUS_SUCCESS);
}

#[test]
fn callback_captures_selection_levels_filter_and_null_resets() {
    // Only the built-in tract backend takes part, whatever plugins the environment offers.
    assert_eq!(unsafe { wasinn_backend_set_preference(c"tract".as_ptr()) }, WASINN_STATUS_SUCCESS);
    let model = add_model();
    let captured: &'static Captured = Box::leak(Box::new(Mutex::new(Vec::new())));
    let user_data = captured as *const Captured as *mut c_void;

    // Invalid level: refused, nothing installed.
    assert_eq!(unsafe { wasinn_set_log_callback(Some(capture), user_data, 5) }, WASINN_STATUS_INVALID_ARGUMENT);

    // Debug: the automatic selection is logged with the chosen backend and the reason, and the
    // load with its time.
    assert_eq!(unsafe { wasinn_set_log_callback(Some(capture), user_data, WASINN_LOG_LEVEL_DEBUG) }, WASINN_STATUS_SUCCESS);
    load(&model, None);
    let msgs = std::mem::take(&mut *captured.lock().unwrap());
    let text: Vec<&str> = msgs.iter().map(|(_, m)| m.as_str()).collect();
    assert!(msgs.iter().all(|(l, _)| (WASINN_LOG_LEVEL_ERROR..=WASINN_LOG_LEVEL_DEBUG).contains(l)), "{msgs:?}");
    let selection = msgs
        .iter()
        .find(|(_, m)| m.starts_with("load: encoding") && m.contains("backend tract"))
        .unwrap_or_else(|| panic!("no backend-selection message naming tract in {text:#?}"));
    assert_eq!(selection.0, WASINN_LOG_LEVEL_INFO);
    assert!(selection.1.contains("preference order"), "{}", selection.1);
    assert!(text.iter().any(|m| m.contains("tract backend loaded") && m.ends_with(" ms")), "{text:#?}");

    // An explicit backend: the reason says so.
    load(&model, Some(c"tract"));
    let msgs = std::mem::take(&mut *captured.lock().unwrap());
    assert!(msgs.iter().any(|(_, m)| m.contains("backend tract (named by the caller)")), "{msgs:#?}");

    // Error level only: a successful load logs nothing at that level.
    assert_eq!(unsafe { wasinn_set_log_callback(Some(capture), user_data, WASINN_LOG_LEVEL_ERROR) }, WASINN_STATUS_SUCCESS);
    load(&model, None);
    assert!(captured.lock().unwrap().is_empty(), "{:?}", captured.lock().unwrap());

    // Messages from other threads reach the callback too.
    assert_eq!(unsafe { wasinn_set_log_callback(Some(capture), user_data, WASINN_LOG_LEVEL_INFO) }, WASINN_STATUS_SUCCESS);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| load(&model, None));
        }
    });
    let n = captured.lock().unwrap().iter().filter(|(_, m)| m.contains("backend tract")).count();
    assert_eq!(n, 4);
    captured.lock().unwrap().clear();

    // OpenVINO computes i64 as i32 on the CPU: a load of a model with i64 ports on it warns,
    // naming the ports; an f32 model on it, and the i64 model on tract, do not.
    add_vendor_plugins();
    assert_eq!(unsafe { wasinn_backend_set_preference(std::ptr::null()) }, WASINN_STATUS_SUCCESS);
    assert_eq!(unsafe { wasinn_set_log_callback(Some(capture), user_data, WASINN_LOG_LEVEL_WARN) }, WASINN_STATUS_SUCCESS);
    captured.lock().unwrap().clear();
    load(&two_in_two_out_model(), Some(c"openvino"));
    let msgs = std::mem::take(&mut *captured.lock().unwrap());
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    assert_eq!(msgs[0].0, WASINN_LOG_LEVEL_WARN);
    assert!(msgs[0].1.contains("i64 as i32") && msgs[0].1.contains(r#"inputs ["c"], outputs ["neg"]"#), "{}", msgs[0].1);
    load(&model, Some(c"openvino"));
    load(&two_in_two_out_model(), Some(c"tract"));
    assert!(captured.lock().unwrap().is_empty(), "{:?}", captured.lock().unwrap());
    assert_eq!(unsafe { wasinn_backend_set_preference(c"tract".as_ptr()) }, WASINN_STATUS_SUCCESS);

    // NULL restores the default: WASINN_LOG (unset in the test run) sends nothing anywhere, and
    // the old callback is never called again.
    assert_eq!(unsafe { wasinn_set_log_callback(None, null_mut(), 0) }, WASINN_STATUS_SUCCESS);
    load(&model, None);
    assert!(captured.lock().unwrap().is_empty());
    assert_eq!(unsafe { wasinn_backend_set_preference(std::ptr::null()) }, WASINN_STATUS_SUCCESS);
}
