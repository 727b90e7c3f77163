//! The `image-pull-never` policy.

#[allow(unused_imports)]
use super::*;

impl Cx<'_> {
    pub(super) fn image_pull_never(&mut self, at: At, c: &Container<'_>) {
        const NAME: &str = "image-pull-never";
        match c.node.entry("imagePullPolicy") {
            None => self.emit(
                at,
                NAME,
                None,
                c.node.pos,
                c.pointer.clone(),
                format!(
                    "{} does not set `imagePullPolicy` (Kubernetes then pulls `:latest` images from a registry); expected `Never`",
                    c.what()
                ),
            ),
            Some((k, v)) if v.as_str() != Some("Never") => self.emit(
                at,
                NAME,
                None,
                value_pos(k, v),
                format!("{}/imagePullPolicy", c.pointer),
                format!("{} has `imagePullPolicy: {}`; expected `Never`", c.what(), show(v)),
            ),
            Some(_) => {}
        }
    }
}
