using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Who may connect to whom, from the model: every pod refuses what it is not told to accept (default deny), and a
/// resource's ports accept only the resources that reference it (<c>WithReference</c>), those whose init container
/// polls it (<c>WaitFor</c>, <c>WaitForServing</c>) and, when an ingress route names it, the ingress controller's pods.
/// </summary>
internal static class KubernetesNetworkPolicies
{
    public static void Add(PublishedModel published, KustomizeBundleResource environment, SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> objects)
    {
        objects["default-deny-networkpolicy.yaml"] = KubernetesWorkloads.Typed(new V1NetworkPolicy
        {
            Spec = new V1NetworkPolicySpec { PodSelector = new V1LabelSelector(), PolicyTypes = ["Ingress"] },
        }, "networking.k8s.io/v1", "NetworkPolicy", "default-deny");

        // A run-once step merged into the pods that wait for it (an init container) has no pods of its own to admit.
        bool HasWorkload(string name) => new[] { "deployment", "statefulset", "job" }.Any(kind => objects.ContainsKey($"{name}-{kind}.yaml"));

        foreach (var resource in published.Resources.Where(r => r.Endpoints.Count > 0))
        {
            var waiters = published.Resources.Where(r => PublishedWaits.Of(r.Resource).Any(w => w.Resource.Name == resource.Name && w.Type == WaitType.WaitUntilHealthy));
            var peers = published.ClientsOf(resource.Name).Concat(waiters).Select(c => c.Name).Distinct().Where(HasWorkload).Order(StringComparer.Ordinal)
                .Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Labels(client) } })
                .ToList();
            if (environment.Routes.Any(r => r.Service == resource.Name))
            {
                peers.Add(new V1NetworkPolicyPeer
                {
                    NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = environment.IngressControllerNamespace } },
                    PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(environment.IngressControllerLabels) },
                });
            }
            if (peers.Count == 0) continue;
            var ports = resource.Endpoints.Select(e => e.TargetPort).Distinct().Order()
                .Select(p => new V1NetworkPolicyPort { Port = p, Protocol = "TCP" }).ToList();
            objects[$"{resource.Name}-networkpolicy.yaml"] = KubernetesWorkloads.Typed(new V1NetworkPolicy
            {
                Spec = new V1NetworkPolicySpec
                {
                    PodSelector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Labels(resource.Name) },
                    PolicyTypes = ["Ingress"],
                    Ingress = [new V1NetworkPolicyIngressRule { FromProperty = peers, Ports = ports }],
                },
            }, "networking.k8s.io/v1", "NetworkPolicy", resource.Name);
        }
    }
}
