using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Kubernetes' recommended labels on a resource's objects and pods: name, instance, component, part-of, version,
/// managed-by. Selectors keep the name alone, so a new version never changes what a Service or budget selects.
/// </summary>
internal static class KubernetesLabels
{
    public static void Apply(IDictionary<string, IKubernetesObject<V1ObjectMeta>> objects, string resource, IKubernetesObject<V1ObjectMeta> workload,
        bool replicated, string image, string partOf)
    {
        var component = workload switch
        {
            V1Job => "job",
            V1StatefulSet => "datastore",
            _ => replicated ? "server" : "worker",
        };
        var version = image.Contains(':', StringComparison.Ordinal) ? image[(image.LastIndexOf(':') + 1)..] : image[(image.LastIndexOf('-') + 1)..];
        var labels = new Dictionary<string, string>
        {
            [KubernetesWorkloads.NameLabel] = resource,
            ["app.kubernetes.io/instance"] = $"{partOf}-{resource}",
            ["app.kubernetes.io/component"] = component,
            ["app.kubernetes.io/part-of"] = partOf,
            ["app.kubernetes.io/version"] = version,
            ["app.kubernetes.io/managed-by"] = "aspire-publish",
        };
        foreach (var suffix in new[] { workload.Kind.ToLowerInvariant(), "service", "pdb", "hpa" })
        {
            if (objects.TryGetValue($"{resource}-{suffix}.yaml", out var value)) value.Metadata.Labels = new Dictionary<string, string>(labels);
        }
        var template = workload switch
        {
            V1Deployment d => d.Spec.Template,
            V1StatefulSet s => s.Spec.Template,
            V1Job j => j.Spec.Template,
            _ => null,
        };
        if (template is not null) template.Metadata.Labels = new Dictionary<string, string>(labels);
    }
}
