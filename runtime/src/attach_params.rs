//! Attach points completed from tracerun's positional arguments
//! ([`tracec_meta::Metadata::attach_templates`]): an object compiled from
//! `interval:ms:$1` without `tracec ... -- ARGS` names its probe `interval:ms:$1` and
//! holds placeholder values. Before anything is loaded, the arguments are substituted
//! into every probe and attach name of the template (so `probe` prints
//! `interval:ms:20`) and the attach values are derived from the result, with
//! bpftrace's located error when an argument is missing or no number.

use crate::Error;
use std::path::Path;
use tracec_meta::attach_name::normalize;
use tracec_meta::attach_template::{func_of, params_in, resolve, substitute, AttachTemplate};
use tracec_meta::{Attach, Metadata};

/// `obj` as the given arguments complete it: its attach templates filled in from the
/// positional arguments, and the values `tracec` bound at compile time checked against
/// them. Borrowed when nothing changes. Used by running, `--verify` and `--info` alike.
pub fn with_args<'a>(
    obj: &'a crate::object::Object,
    args: &[String],
) -> Result<std::borrow::Cow<'a, crate::object::Object>, Error> {
    let positional = crate::params::split(args).positional;
    crate::bound_args::check(&obj.meta.bound_args, &positional)?;
    Ok(match applied(&obj.meta, &positional)? {
        Some(meta) => std::borrow::Cow::Owned(crate::object::Object {
            path: obj.path.clone(),
            bytes: obj.bytes.clone(),
            meta,
        }),
        None => std::borrow::Cow::Borrowed(obj),
    })
}

/// `meta` with its templates completed from `positional`; `None` when it has none.
pub fn applied(meta: &Metadata, positional: &[String]) -> Result<Option<Metadata>, Error> {
    if meta.attach_templates.is_empty() {
        return Ok(None);
    }
    let mut out = meta.clone();
    apply(&mut out, positional)?;
    Ok(Some(out))
}

/// bpftrace's located error for template `t`.
fn located(t: &AttachTemplate, msg: &str) -> Error {
    let mut m = if t.location.is_empty() {
        format!("ERROR: {msg}")
    } else {
        format!("{}: ERROR: {msg}", t.location)
    };
    if !t.context.is_empty() {
        m.push('\n');
        m.push_str(&t.context);
    }
    // Printed as it is, like bpftrace's own (see `Error::is_bpftrace`).
    Error::new(m)
}

/// Substitute `positional` into every template of `meta`, in place.
pub fn apply(meta: &mut Metadata, positional: &[String]) -> Result<(), Error> {
    let templates = std::mem::take(&mut meta.attach_templates);
    for t in &templates {
        let text = substitute(&t.text, positional);
        let mut name = text.clone();
        let mut func = None;
        for p in meta.probes.iter_mut().filter(|p| p.name == t.text) {
            let mut attach = resolve(&p.attach, &text).map_err(|m| located(t, &m))?;
            if let Attach::Uprobe { path, .. } = &mut attach {
                if let Some(found) = find_binary(path) {
                    name = text.replacen(&format!(":{path}:"), &format!(":{found}:"), 1);
                    *path = found;
                }
            }
            func = func_of(&attach);
            p.attach = attach;
            // Named as bpftrace prints it (`interval:ms:0x10` is `interval:ms:16`).
            name = normalize(&name);
            p.name = name.clone();
        }
        for n in meta.attach_names.iter_mut().filter(|n| n.probe == t.text) {
            n.probe = name.clone();
            n.func = func
                .clone()
                .unwrap_or_else(|| substitute(&n.func, positional));
        }
    }
    // `uaddr()` in a uprobe whose binary is a parameter resolves in that binary.
    for g in &mut meta.symbol_globals {
        if let Some(path) = g.path.as_mut().filter(|p| !params_in(p).is_empty()) {
            let p = substitute(path, positional);
            *path = find_binary(&p).unwrap_or(p);
        }
    }
    Ok(())
}

/// The file a bare uprobe binary name names, as the compiler finds it: not a file of
/// the working directory, it is searched in `$PATH`, then in the library cache
/// (`libc`). `None` for a path with `/` or a name found nowhere (kept as given).
pub(crate) fn find_binary(path: &str) -> Option<String> {
    if path.contains('/') || Path::new(path).exists() {
        return None;
    }
    search_path(path, &std::env::var("PATH").unwrap_or_default())
        .or_else(|| tracec_meta::ldcache::library(path))
        .map(|f| f.display().to_string())
}

/// An executable file named `name` in a directory of `path_var`.
fn search_path(name: &str, path_var: &str) -> Option<std::path::PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .find_map(|dir| {
            let f = Path::new(dir).join(name);
            let meta = std::fs::metadata(&f).ok()?;
            (meta.is_file() && meta.permissions().mode() & 0o111 != 0).then_some(f)
        })
}

#[cfg(test)]
#[path = "attach_params_tests.rs"]
mod tests;
