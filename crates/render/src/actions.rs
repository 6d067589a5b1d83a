//! The third-party GitHub Actions the generated workflows use, each pinned to the commit
//! of one release tag. A tag can be moved to other code by whoever controls the action's
//! repository; a commit cannot. Workflows name them as
//! `uses: owner/repo@<commit> # <tag>`, the form Dependabot and Renovate update.
//!
//! Source of every commit: the tag's commit in the action's own repository
//! (`https://github.com/<name>`, tag `<tag>`), checked on 2026-12-06 with
//! `scripts/verify-actions.sh` (`git ls-remote`, peeled) against mirrors of those
//! repositories. Run it again against GitHub before changing a pin. The tests check the
//! table's shape and that every `uses:` the renderer writes comes from it.

use std::fmt;

/// An action at one release, by the commit its tag named when it was pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinnedAction {
    /// `owner/repo` on GitHub.
    pub name: &'static str,
    /// The release tag, exactly as the repository spells it.
    pub tag: &'static str,
    /// The full commit SHA the tag points to.
    pub commit: &'static str,
}

impl PinnedAction {
    /// Where the release is published.
    pub fn source(&self) -> String {
        format!("https://github.com/{}/releases/tag/{}", self.name, self.tag)
    }
}

/// As a workflow's `uses:` value: `owner/repo@<commit> # <tag>`.
impl fmt::Display for PinnedAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{} # {}", self.name, self.commit, self.tag)
    }
}

const fn pin(name: &'static str, tag: &'static str, commit: &'static str) -> PinnedAction {
    PinnedAction { name, tag, commit }
}

pub const CHECKOUT: PinnedAction = pin(
    "actions/checkout",
    "v4.2.2",
    "11bd71901bbe5b1630ceea73d27597364c9af683",
);
pub const SETUP_NODE: PinnedAction = pin(
    "actions/setup-node",
    "v4.1.0",
    "39370e3970a6d050c480ffad4ff0ed4d3fdee5af",
);
pub const SETUP_PYTHON: PinnedAction = pin(
    "actions/setup-python",
    "v5.3.0",
    "0b93645e9fea7318ecaed2b359559ac225c90a2b",
);
pub const SETUP_GO: PinnedAction = pin(
    "actions/setup-go",
    "v5.2.0",
    "3041bf56c941b39c61721a86cd11f3bb1338122a",
);
pub const SETUP_JAVA: PinnedAction = pin(
    "actions/setup-java",
    "v4.6.0",
    "7a6d8a8234af8eb26422e24e3006232cccaa061b",
);
pub const SETUP_RUST: PinnedAction = pin(
    "actions-rust-lang/setup-rust-toolchain",
    "v1.10.1",
    "11df97af8e8102fd60b60a77dfbf58d40cd843b8",
);
pub const SETUP_BUILDX: PinnedAction = pin(
    "docker/setup-buildx-action",
    "v3.8.0",
    "6524bf65af31da8d45b59e8c27de4bd072b392f5",
);
pub const DOCKER_LOGIN: PinnedAction = pin(
    "docker/login-action",
    "v3.3.0",
    "9780b0c442fbb1117ed29e0efdff1e18412f7567",
);
pub const BUILD_PUSH: PinnedAction = pin(
    "docker/build-push-action",
    "v6.10.0",
    "48aba3b46d1b1fec4febb7c5d0c644b249a11355",
);
pub const TRIVY: PinnedAction = pin(
    "aquasecurity/trivy-action",
    "v0.29.0",
    "18f2510ee396bbf400402947b394f2dd8c87dbb0",
);
pub const COSIGN_INSTALLER: PinnedAction = pin(
    "sigstore/cosign-installer",
    "v3.7.0",
    "dc72c7d5c4d10cd6bcb8cf6e3fd625a9e5e537da",
);

/// Every pinned action, for the checks.
pub const ALL: [PinnedAction; 11] = [
    CHECKOUT,
    SETUP_NODE,
    SETUP_PYTHON,
    SETUP_GO,
    SETUP_JAVA,
    SETUP_RUST,
    SETUP_BUILDX,
    DOCKER_LOGIN,
    BUILD_PUSH,
    TRIVY,
    COSIGN_INSTALLER,
];

/// Whether `uses` (a workflow's `uses:` value, with its comment) is an action of the
/// table written as the table writes it, or a workflow of the same repository.
pub fn is_pinned(uses: &str) -> bool {
    uses.starts_with("./") || ALL.iter().any(|a| a.to_string() == uses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_a_full_commit_of_a_release_tag() {
        for action in ALL {
            let (owner, repo) = action.name.split_once('/').expect("owner/repo");
            let part = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            };
            assert!(part(owner) && part(repo), "{}", action.name);
            assert_eq!(action.commit.len(), 40, "{}: a full SHA", action.name);
            assert!(
                action
                    .commit
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
                "{}: lowercase hex",
                action.name
            );
            let version = action.tag.strip_prefix('v').expect("tags start with v");
            let numbers: Vec<&str> = version.split('.').collect();
            assert!(
                numbers.len() == 3 && numbers.iter().all(|n| n.parse::<u32>().is_ok()),
                "{}: a full release tag, not a moving major tag like v4",
                action.tag
            );
        }
    }

    #[test]
    fn each_action_is_pinned_once() {
        let mut names: Vec<&str> = ALL.iter().map(|a| a.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn uses_lines_are_recognised_only_as_written() {
        assert!(is_pinned(&CHECKOUT.to_string()));
        assert!(is_pinned("./.github/workflows/deploy.yml"));
        assert!(!is_pinned("actions/checkout@v4"));
        assert!(!is_pinned(
            "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.1"
        ));
        assert_eq!(
            CHECKOUT.source(),
            "https://github.com/actions/checkout/releases/tag/v4.2.2"
        );
    }
}
