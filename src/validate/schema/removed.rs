//! API versions Kubernetes stopped serving, from the Kubernetes "Deprecated
//! API Migration Guide" (every removal it lists, v1.16 to v1.32; it lists
//! none after v1.32 up to v1.37). A manifest using one of them fails on a
//! cluster of that version or later, so it is an error that names the
//! replacement, not an "unknown kind" warning.

/// One removal: `api_version` of `kinds` is no longer served from `removed_in`.
pub struct Removal {
    pub api_version: &'static str,
    pub kinds: &'static [&'static str],
    /// Kubernetes minor version (`1.NN`) that stopped serving it.
    pub removed_in: u32,
    /// What to use instead (an apiVersion, or advice when there is none).
    pub replacement: &'static str,
}

const WORKLOADS: &[&str] = &["Deployment", "DaemonSet", "ReplicaSet"];
const RBAC: &[&str] = &["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"];
const FLOW: &[&str] = &["FlowSchema", "PriorityLevelConfiguration"];

/// Every removal in the migration guide, oldest first.
pub const REMOVALS: &[Removal] = &[
    // v1.16
    Removal {
        api_version: "extensions/v1beta1",
        kinds: WORKLOADS,
        removed_in: 16,
        replacement: "apps/v1",
    },
    Removal {
        api_version: "apps/v1beta1",
        kinds: &["Deployment", "StatefulSet"],
        removed_in: 16,
        replacement: "apps/v1",
    },
    Removal {
        api_version: "apps/v1beta2",
        kinds: &["Deployment", "DaemonSet", "ReplicaSet", "StatefulSet"],
        removed_in: 16,
        replacement: "apps/v1",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["NetworkPolicy"],
        removed_in: 16,
        replacement: "networking.k8s.io/v1",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["PodSecurityPolicy"],
        removed_in: 16,
        replacement: "policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)",
    },
    // v1.22
    Removal {
        api_version: "admissionregistration.k8s.io/v1beta1",
        kinds: &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
        removed_in: 22,
        replacement: "admissionregistration.k8s.io/v1",
    },
    Removal {
        api_version: "apiextensions.k8s.io/v1beta1",
        kinds: &["CustomResourceDefinition"],
        removed_in: 22,
        replacement: "apiextensions.k8s.io/v1",
    },
    Removal {
        api_version: "apiregistration.k8s.io/v1beta1",
        kinds: &["APIService"],
        removed_in: 22,
        replacement: "apiregistration.k8s.io/v1",
    },
    Removal {
        api_version: "authentication.k8s.io/v1beta1",
        kinds: &["TokenReview"],
        removed_in: 22,
        replacement: "authentication.k8s.io/v1",
    },
    Removal {
        api_version: "authorization.k8s.io/v1beta1",
        kinds: &[
            "LocalSubjectAccessReview",
            "SelfSubjectAccessReview",
            "SubjectAccessReview",
            "SelfSubjectRulesReview",
        ],
        removed_in: 22,
        replacement: "authorization.k8s.io/v1",
    },
    Removal {
        api_version: "certificates.k8s.io/v1beta1",
        kinds: &["CertificateSigningRequest"],
        removed_in: 22,
        replacement: "certificates.k8s.io/v1",
    },
    Removal {
        api_version: "coordination.k8s.io/v1beta1",
        kinds: &["Lease"],
        removed_in: 22,
        replacement: "coordination.k8s.io/v1",
    },
    Removal {
        api_version: "extensions/v1beta1",
        kinds: &["Ingress"],
        removed_in: 22,
        replacement: "networking.k8s.io/v1",
    },
    Removal {
        api_version: "networking.k8s.io/v1beta1",
        kinds: &["Ingress", "IngressClass"],
        removed_in: 22,
        replacement: "networking.k8s.io/v1",
    },
    Removal {
        api_version: "rbac.authorization.k8s.io/v1beta1",
        kinds: RBAC,
        removed_in: 22,
        replacement: "rbac.authorization.k8s.io/v1",
    },
    Removal {
        api_version: "scheduling.k8s.io/v1beta1",
        kinds: &["PriorityClass"],
        removed_in: 22,
        replacement: "scheduling.k8s.io/v1",
    },
    Removal {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"],
        removed_in: 22,
        replacement: "storage.k8s.io/v1",
    },
    // v1.25
    Removal {
        api_version: "batch/v1beta1",
        kinds: &["CronJob"],
        removed_in: 25,
        replacement: "batch/v1",
    },
    Removal {
        api_version: "discovery.k8s.io/v1beta1",
        kinds: &["EndpointSlice"],
        removed_in: 25,
        replacement: "discovery.k8s.io/v1",
    },
    Removal {
        api_version: "events.k8s.io/v1beta1",
        kinds: &["Event"],
        removed_in: 25,
        replacement: "events.k8s.io/v1",
    },
    Removal {
        api_version: "autoscaling/v2beta1",
        kinds: &["HorizontalPodAutoscaler"],
        removed_in: 25,
        replacement: "autoscaling/v2",
    },
    Removal {
        api_version: "policy/v1beta1",
        kinds: &["PodDisruptionBudget"],
        removed_in: 25,
        replacement: "policy/v1",
    },
    Removal {
        api_version: "policy/v1beta1",
        kinds: &["PodSecurityPolicy"],
        removed_in: 25,
        replacement: "nothing: PodSecurityPolicy is gone; use Pod Security Admission (namespace labels)",
    },
    Removal {
        api_version: "node.k8s.io/v1beta1",
        kinds: &["RuntimeClass"],
        removed_in: 25,
        replacement: "node.k8s.io/v1",
    },
    // v1.26
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta1",
        kinds: FLOW,
        removed_in: 26,
        replacement: "flowcontrol.apiserver.k8s.io/v1 (or v1beta3 before 1.29)",
    },
    Removal {
        api_version: "autoscaling/v2beta2",
        kinds: &["HorizontalPodAutoscaler"],
        removed_in: 26,
        replacement: "autoscaling/v2",
    },
    // v1.27
    Removal {
        api_version: "storage.k8s.io/v1beta1",
        kinds: &["CSIStorageCapacity"],
        removed_in: 27,
        replacement: "storage.k8s.io/v1",
    },
    // v1.29
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta2",
        kinds: FLOW,
        removed_in: 29,
        replacement: "flowcontrol.apiserver.k8s.io/v1",
    },
    // v1.32
    Removal {
        api_version: "flowcontrol.apiserver.k8s.io/v1beta3",
        kinds: FLOW,
        removed_in: 32,
        replacement: "flowcontrol.apiserver.k8s.io/v1",
    },
];

/// The removal that applies to `api_version`/`kind` in Kubernetes `1.minor`.
pub fn removed(api_version: &str, kind: &str, minor: u32) -> Option<&'static Removal> {
    REMOVALS
        .iter()
        .find(|r| r.api_version == api_version && r.removed_in <= minor && r.kinds.contains(&kind))
}
