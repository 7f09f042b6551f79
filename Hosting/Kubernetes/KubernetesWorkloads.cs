using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>
/// Wraps a resource's pod into its workload: a Job for resources that run to completion (with a deadline and a TTL), a StatefulSet for long-running ones
/// with volumes (named volumes as claims, scratch volumes in memory), a Deployment otherwise: a service that takes
/// traffic rolls with no replica down, spread over nodes, with a disruption budget; any other (or a single-instance
/// one) runs one replica replaced with <c>Recreate</c>, so a rollout never runs two. Plus its Service, HPA and Ingress.
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

    /// <summary>
    /// The kind follows what the resource is: a Job when it runs to completion, else a StatefulSet when it has volumes
    /// and a Deployment otherwise. The restart policy only says how a Job retries; long-running pods always restart.
    /// </summary>
    public static IKubernetesObject<V1ObjectMeta> Workload(IResource resource, V1PodSpec pod, IList<V1PersistentVolumeClaim> claims, ReplicaPlan replicas, KustomizeBundleResource environment)
    {
        var template = new V1PodTemplateSpec { Metadata = new V1ObjectMeta { Labels = Labels(resource.Name) }, Spec = pod };
        var selector = new V1LabelSelector { MatchLabels = Labels(resource.Name) };
        if (resource.Annotations.OfType<RunToCompletionAnnotation>().LastOrDefault() is { } run)
        {
            var policy = resource.GetRestartPolicy();
            if (policy == RestartPolicy.Always)
            {
                throw new PublishException($"{resource.Name} runs to completion but its restart policy is Always, which a Job cannot have; give it RestartPolicy.No or OnFailure.");
            }
            pod.RestartPolicy = policy == RestartPolicy.OnFailure ? "OnFailure" : "Never";
            return Typed(new V1Job
            {
                Spec = new V1JobSpec
                {
                    BackoffLimit = policy == RestartPolicy.OnFailure ? 4 : 0, Template = template,
                    ActiveDeadlineSeconds = (long)run.Deadline.TotalSeconds,
                    TtlSecondsAfterFinished = (int)environment.FinishedJobLifetime.TotalSeconds,
                },
            }, "batch/v1", "Job", resource.Name);
        }
        pod.RestartPolicy = "Always";
        if (claims.Count > 0 || pod.Volumes?.Any(v => v.ConfigMap is null) == true) // files from ConfigMaps hold no state
        {
            return Typed(new V1StatefulSet
            {
                Spec = new V1StatefulSetSpec
                {
                    ServiceName = resource.Name, Replicas = 1, Selector = selector, Template = template,
                    VolumeClaimTemplates = claims.Count > 0 ? claims : null,
                },
            }, "apps/v1", "StatefulSet", resource.Name);
        }
        if (replicas.Scaling is not null && resource.IsSingleInstance())
        {
            throw new PublishException($"{resource.Name} is single-instance and cannot be autoscaled; drop WithAutoscaling for it or WithSingleInstance.");
        }
        if (replicas.Replicated)
        {
            pod.TopologySpreadConstraints =
            [
                new V1TopologySpreadConstraint { MaxSkew = 1, TopologyKey = "kubernetes.io/hostname", WhenUnsatisfiable = "ScheduleAnyway", LabelSelector = selector },
            ];
        }
        return Typed(new V1Deployment
        {
            Spec = new V1DeploymentSpec
            {
                Replicas = replicas.Count, Selector = selector, Template = template,
                Strategy = replicas.Replicated
                    ? new V1DeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new V1RollingUpdateDeployment { MaxUnavailable = 0, MaxSurge = 1 } }
                    : new V1DeploymentStrategy { Type = "Recreate" },
            },
        }, "apps/v1", "Deployment", resource.Name);
    }

    /// <summary>At most one replica of a replicated service is evicted at a time (node drains, cluster upgrades).</summary>
    public static V1PodDisruptionBudget DisruptionBudget(string resource) => Typed(new V1PodDisruptionBudget
    {
        Spec = new V1PodDisruptionBudgetSpec { MaxUnavailable = 1, Selector = new V1LabelSelector { MatchLabels = Labels(resource) } },
    }, "policy/v1", "PodDisruptionBudget", resource);

    /// <summary>The resource's Service; headless for a StatefulSet (its pods' stable names), with the same name and ports.</summary>
    public static V1Service Service(IResource resource, IEnumerable<(string Name, int Port)> ports, bool headless) => Typed(new V1Service
    {
        Spec = new V1ServiceSpec
        {
            Type = "ClusterIP",
            ClusterIP = headless ? "None" : null,
            Selector = Labels(resource.Name),
            Ports = ports.Select(p => new V1ServicePort { Name = p.Name, Port = p.Port, TargetPort = KubernetesContainers.Port(p.Port), Protocol = "TCP" }).ToList(),
        },
    }, "v1", "Service", resource.Name);


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

    /// <summary>One Ingress per route: a prefix other than <c>/</c> is stripped before proxying (nginx rewrite), as every publisher's entry does.</summary>
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
