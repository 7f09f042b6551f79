using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Wraps a resource's pod into its workload: a Job for run-once resources, a StatefulSet for long-running ones
/// with volumes (named volumes as claims, scratch volumes in memory), a Deployment otherwise (one replica with
/// <c>Recreate</c> unless autoscaled, so a rollout never runs two); plus its Service, HPA and Ingress.
/// </summary>
internal static class KubernetesWorkloads
{
    public const string NameLabel = "app.kubernetes.io/name";

    public static T Typed<T>(T value, string apiVersion, string kind, string name) where T : IKubernetesObject<V1ObjectMeta>
    {
        value.ApiVersion = apiVersion;
        value.Kind = kind;
        value.Metadata = new V1ObjectMeta { Name = name, Labels = Labels(name) };
        return value;
    }

    public static Dictionary<string, string> Labels(string name) => new() { [NameLabel] = name };

    public static IKubernetesObject<V1ObjectMeta> Workload(IResource resource, V1PodSpec pod, IList<V1PersistentVolumeClaim> claims, Autoscaling? scaling)
    {
        var template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = Labels(resource.Name) }, Spec = pod };
        var selector = new V1LabelSelector { MatchLabels = Labels(resource.Name) };
        switch (resource.GetRestartPolicy())
        {
            case RestartPolicy.Always when claims.Count > 0 || pod.Volumes?.Count > 0:
                pod.RestartPolicy = "Always";
                return Typed(new V1StatefulSet
                {
                    Spec = new V1StatefulSetSpec
                    {
                        ServiceName = resource.Name, Replicas = 1, Selector = selector, Template = template,
                        VolumeClaimTemplates = claims.Count > 0 ? claims : null,
                    },
                }, "apps/v1", "StatefulSet", resource.Name);
            case RestartPolicy.Always:
                pod.RestartPolicy = "Always";
                return Typed(new V1Deployment
                {
                    Spec = new V1DeploymentSpec
                    {
                        Replicas = scaling?.Min ?? 1, Selector = selector, Template = template,
                        Strategy = new V1DeploymentStrategy { Type = scaling is { Max: > 1 } ? "RollingUpdate" : "Recreate" },
                    },
                }, "apps/v1", "Deployment", resource.Name);
            case var policy:
                pod.RestartPolicy = policy == RestartPolicy.OnFailure ? "OnFailure" : "Never";
                return Typed(new V1Job
                {
                    Spec = new V1JobSpec { BackoffLimit = policy == RestartPolicy.OnFailure ? 4 : 0, Template = template },
                }, "batch/v1", "Job", resource.Name);
        }
    }

    public static V1Service Service(IResource resource, IEnumerable<(string Name, int Port)> ports) => Typed(new V1Service
    {
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            Selector = Labels(resource.Name),
            Ports = ports.Select(p => new V1ServicePort { Name = p.Name, Port = p.Port, TargetPort = KubernetesContainers.Port(p.Port), Protocol = "TCP" }).ToList(),
        },
    }, "v1", "Service", resource.Name);

    public static V1ConfigMap ConfigMap(string resource, IDictionary<string, string> data)
        => Typed(new V1ConfigMap { Data = new SortedDictionary<string, string>(data, StringComparer.Ordinal) }, "v1", "ConfigMap", KubernetesValues.ConfigMapName(resource));

    public static V2HorizontalPodAutoscaler Autoscaler(string resource, Autoscaling scaling) => Typed(new V2HorizontalPodAutoscaler
    {
        Spec = new V2HorizontalPodAutoscalerSpec
        {
            ScaleTargetRef = new V2CrossVersionObjectReference { ApiVersion = "apps/v1", Kind = "Deployment", Name = resource },
            MinReplicas = scaling.Min,
            MaxReplicas = scaling.Max,
            Metrics =
            [
                new V2MetricSpec
                {
                    Type = "Resource",
                    Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = scaling.CpuPercent } },
                },
            ],
        },
    }, "autoscaling/v2", "HorizontalPodAutoscaler", resource);

    /// <summary>One Ingress per route: a prefix other than <c>/</c> is stripped before proxying (nginx rewrite), as compose's nginx does.</summary>
    public static V1Ingress Ingress(IngressRoute route, int port, string ingressClass)
    {
        var root = route.PathPrefix == "/";
        var prefix = route.PathPrefix.TrimEnd('/');
        var ingress = Typed(new V1Ingress
        {
            Spec = new V1IngressSpec
            {
                IngressClassName = ingressClass,
                Rules =
                [
                    new V1IngressRule
                    {
                        Http = new V1HTTPIngressRuleValue
                        {
                            Paths =
                            [
                                new V1HTTPIngressPath
                                {
                                    Path = root ? "/" : $"{prefix}(/|$)(.*)",
                                    PathType = root ? "Prefix" : "ImplementationSpecific",
                                    Backend = new V1IngressBackend { Service = new V1IngressServiceBackend { Name = route.Service, Port = new V1ServiceBackendPort { Number = port } } },
                                },
                            ],
                        },
                    },
                ],
            },
        }, "networking.k8s.io/v1", "Ingress", $"{route.Service}-ingress");
        if (!root)
        {
            ingress.Metadata.Annotations = new Dictionary<string, string>
            {
                ["nginx.ingress.kubernetes.io/rewrite-target"] = "/$2",
                ["nginx.ingress.kubernetes.io/use-regex"] = "true",
            };
        }
        return ingress;
    }
}
