//! Container image references, checked against the OCI distribution grammar.

use super::enums::ImageType;

/// Checks an image reference (`[registry[:port]/]repo/path[:tag][@algo:hex]`); for `ecr` images
/// only `repo[:tag]` is allowed, since the registry is the deploying account's.
pub(crate) fn check_image_reference(
    reference: &str,
    image_type: Option<ImageType>,
) -> Result<(), String> {
    if reference.is_empty() {
        return Err(
            "must be an image reference such as \"vllm/vllm-openai:v0.5.0\", found an empty string"
                .into(),
        );
    }
    let (rest, digest) = match reference.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (reference, None),
    };
    if let Some(digest) = digest {
        check_digest(digest)?;
    }
    // A tag follows the last ':' that comes after the last '/'; an earlier ':' is a registry port.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(tag) = tag {
        check_tag(tag)?;
    }
    let mut components: Vec<&str> = name.split('/').collect();
    let has_registry = components.len() > 1
        && (components[0].contains(['.', ':']) || components[0] == "localhost");
    if has_registry {
        if image_type == Some(ImageType::Ecr) {
            return Err(format!(
                "for image type \"ecr\" give the repository in the deploying account as repo[:tag], \
                 without a registry address; found {reference:?}"
            ));
        }
        check_registry(components.remove(0))?;
    }
    if name.len() > 255 {
        return Err(format!(
            "the repository name must be at most 255 characters, found {}",
            name.len()
        ));
    }
    for component in components {
        check_path_component(component, reference)?;
    }
    Ok(())
}

fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = match registry.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (registry, None),
    };
    let host_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit()));
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(format!("{registry:?} is not a valid registry host[:port]"))
    }
}

fn check_path_component(component: &str, reference: &str) -> Result<(), String> {
    // [a-z0-9]+ joined by '.', '_', '__' or runs of '-'.
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut ok = !bytes.is_empty() && alnum(bytes[0]) && alnum(bytes[bytes.len() - 1]);
    let mut i = 0;
    while ok && i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
    }
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{reference:?} is not a valid image reference: repository part {component:?} must be \
             lowercase letters and digits separated by '.', '_', '__' or '-'"
        ))
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let ok = !tag.is_empty()
        && tag.len() <= 128
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "tag {tag:?} is not valid: 1 to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'"
        ))
    }
}

fn check_digest(digest: &str) -> Result<(), String> {
    let ok = digest.split_once(':').is_some_and(|(algorithm, hex)| {
        !algorithm.is_empty()
            && algorithm.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '_' | '-')
            })
            && hex.len() >= 32
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "digest {digest:?} is not valid: expected algorithm:hex, such as sha256:<64 hex digits>"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_references() {
        for good in [
            "vllm/vllm-openai:v0.5.0",
            "ghcr.io/huggingface/text-generation-inference:2.0.4",
            "ghcr.io/huggingface/text-embeddings-inference:cpu-1.5",
            "localhost:5000/my/model_server",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/lisa/vllm:latest",
            "ubuntu",
            "library/ubuntu@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(check_image_reference(good, None), Ok(()), "{good}");
        }
        assert_eq!(
            check_image_reference("lisa/vllm:0.5", Some(ImageType::Ecr)),
            Ok(())
        );
    }

    #[test]
    fn rejects_malformed_references() {
        for bad in [
            "",
            "VLLM/openai",
            "vllm/openai:",
            "vllm//openai",
            "vllm/openai:-x",
            "a@sha256:12",
            "bad host.io:x/y",
        ] {
            assert!(check_image_reference(bad, None).is_err(), "{bad}");
        }
        let error =
            check_image_reference("ghcr.io/x/y:1", Some(ImageType::Ecr)).expect_err("registry");
        assert!(error.contains("repo[:tag]"));
    }
}
