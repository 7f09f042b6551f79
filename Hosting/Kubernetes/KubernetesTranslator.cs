using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Compose;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>One environment's model as Kubernetes objects.</summary>
/// <param name="Objects">Every object, by file name (<c>api-deployment.yaml</c>).</param>
/// <param name="SecretKeys">Keys of the generated Secret (one per parameter referenced).</param>
/// <param name="Images">Image placeholders of the Dockerfile builds, with the build target each stands for.</param>
internal sealed record KubernetesTranslation(SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> Objects, SortedSet<string> SecretKeys, SortedDictionary<string, string> Images);

/// <summary>
/// The one translation of a model into Kubernetes objects, the same for every environment: a workload per
/// published resource with exactly its environment (each variable a ConfigMap or Secret key reference), its
/// Service, probes from its health check, limits, a non-root context and init containers for its waits.
/// </summary>
internal static class KubernetesTranslator
{
    public static async Task<KubernetesTranslation> TranslateAsync(PublishedModel published, KustomizeBundleResource environment, bool isBase, CancellationToken cancellationToken)
    {
        var values = new KubernetesValues();
        var objects = new SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>(StringComparer.Ordinal);
        var images = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var resources = published.Model.Resources.Where(Publishes).ToList();
        var names = resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var resource in resources)
        {
            var (image, uid) = Image(resource, environment, images);
            var container = new V1Container { Name = resource.Name, Image = image };
            if (resource is ContainerResource { Entrypoint: { Length: > 0 } entrypoint }) container.Command = [entrypoint];
            if (resource.TryGetAnnotationsOfType<CommandLineArgsCallbackAnnotation>(out var argCallbacks))
            {
                var args = new List<object>();
                var argsContext = new CommandLineArgsCallbackContext(args, resource, cancellationToken) { ExecutionContext = published.Execution };
                foreach (var callback in argCallbacks) await callback.Callback(argsContext).ConfigureAwait(false);
                container.Args = args.Count > 0 ? args.Select(a => values.Literal(resource.Name, a)).ToList() : null;
            }

            var variables = new Dictionary<string, object>();
            var envContext = new EnvironmentCallbackContext(published.Execution, resource, variables, cancellationToken);
            foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(envContext).ConfigureAwait(false);
            var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
            container.Env = variables.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => values.Variable(resource.Name, v.Key, v.Value, data)).ToList();
            if (data.Count > 0) objects[$"{resource.Name}-configmap.yaml"] = KubernetesWorkloads.ConfigMap(resource.Name, data);

            var ports = resource.Annotations.OfType<EndpointAnnotation>()
                .Select(e => (Name: e.Name.ToLowerInvariant(), Port: KubernetesValues.TargetPort(resource, e.Name))).DistinctBy(p => p.Port).ToList();
            container.Ports = ports.Count > 0 ? ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port, Protocol = "TCP" }).ToList() : null;
            container.ReadinessProbe = KubernetesContainers.Readiness(resource);
            container.LivenessProbe = KubernetesContainers.Liveness(resource);
            container.Resources = KubernetesContainers.Resources(resource);
            container.SecurityContext = KubernetesContainers.Security(uid);

            var (mounts, volumes, claims) = Volumes(resource);
            container.VolumeMounts = mounts.Count > 0 ? mounts : null;
            var waits = KubernetesContainers.Waits(resource, names, environment.WaitImage, uid);
            var pod = new V1PodSpec
            {
                Containers = [container],
                InitContainers = waits.Count > 0 ? waits : null,
                Volumes = volumes.Count > 0 ? volumes : null,
                SecurityContext = KubernetesContainers.PodSecurity(uid),
                TerminationGracePeriodSeconds = resource.Annotations.OfType<GracefulStopAnnotation>().LastOrDefault() is { } stop ? (long)stop.GracePeriod.TotalSeconds : null,
            };
            var scaling = isBase && environment.Autoscaled.TryGetValue(resource.Name, out var s) ? s : null;
            var workload = KubernetesWorkloads.Workload(resource, pod, claims, scaling);
            objects[$"{resource.Name}-{workload.Kind.ToLowerInvariant()}.yaml"] = workload;
            if (ports.Count > 0) objects[$"{resource.Name}-service.yaml"] = KubernetesWorkloads.Service(resource, ports);
            if (scaling is { Max: > 1 } && workload is V1Deployment) objects[$"{resource.Name}-hpa.yaml"] = KubernetesWorkloads.Autoscaler(resource.Name, scaling);
        }

        foreach (var route in environment.Routes)
        {
            var target = resources.SingleOrDefault(r => r.Name == route.Service)
                ?? throw new ComposePublishException($"The ingress route {route.PathPrefix} names {route.Service}, which the {published.EnvironmentName} model does not publish; route to a published resource.");
            objects[$"{route.Service}-ingress.yaml"] = KubernetesWorkloads.Ingress(route, KubernetesValues.TargetPort(target, route.EndpointName), environment.IngressClass);
        }
        return new(objects, values.SecretKeys, images);
    }

    /// <summary>Containers and Dockerfile builds are published; run-only resources are not; anything else stops the publish.</summary>
    private static bool Publishes(IResource resource)
    {
        if (resource.IsExcludedFromPublish() || resource is not IComputeResource) return false;
        if (resource is ContainerResource || resource.Annotations.OfType<DockerfileBuildAnnotation>().Any()) return true;
        throw new ComposePublishException(
            $"{resource.Name} is a {resource.GetType().Name}, which Kubernetes cannot run: publish it as a container (PublishAsDockerFile / WithDockerfile), or mark it run-only with ExcludeFromManifest().");
    }

    /// <summary>A Dockerfile build becomes the placeholder <c>{context folder}-{target}</c> (set by kustomize <c>images:</c>) run as the build user; an image its documented user.</summary>
    private static (string Image, long Uid) Image(IResource resource, KustomizeBundleResource environment, SortedDictionary<string, string> images)
    {
        if (resource.Annotations.OfType<DockerfileBuildAnnotation>().LastOrDefault() is { } build)
        {
            var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(build.ContextPath)).ToLowerInvariant();
            var placeholder = string.IsNullOrEmpty(build.Stage) ? folder : $"{folder}-{build.Stage}";
            images[placeholder] = build.Stage ?? "";
            return (placeholder, environment.BuildUser);
        }
        var image = resource.Annotations.OfType<ContainerImageAnnotation>().Last();
        var uid = environment.ImageUsers.TryGetValue(image.Image, out var u) ? u
            : throw new ComposePublishException($"{resource.Name}: which numeric non-root user does image {image.Image} run as? Call WithImageUser(\"{image.Image}\", uid) on the Kubernetes environment.");
        var reference = $"{(string.IsNullOrEmpty(image.Registry) ? "" : image.Registry + "/")}{image.Image}{(image.SHA256 is { } sha ? "@sha256:" + sha : ":" + image.Tag)}";
        return (reference, uid);
    }

    /// <summary>Named volumes become claims (1Gi, ReadWriteOnce), scratch volumes memory-backed emptyDirs; bind mounts (live source included) are not published.</summary>
    private static (List<V1VolumeMount>, List<V1Volume>, List<V1PersistentVolumeClaim>) Volumes(IResource resource)
    {
        var mounts = new List<V1VolumeMount>();
        var volumes = new List<V1Volume>();
        var claims = new List<V1PersistentVolumeClaim>();
        foreach (var (mount, index) in resource.Annotations.OfType<ContainerMountAnnotation>().Select((m, i) => (m, i)))
        {
            if (mount.Type != ContainerMountType.Volume)
            {
                throw new ComposePublishException($"{resource.Name}: bind mount {mount.Source} -> {mount.Target} is a path of the publishing machine; use a named volume.");
            }
            var name = string.IsNullOrEmpty(mount.Source) ? $"scratch-{index}" : mount.Source.Replace('_', '-').ToLowerInvariant();
            mounts.Add(new V1VolumeMount { Name = name, MountPath = mount.Target, ReadOnlyProperty = mount.IsReadOnly ? true : null });
            if (string.IsNullOrEmpty(mount.Source))
            {
                volumes.Add(new V1Volume { Name = name, EmptyDir = new V1EmptyDirVolumeSource { Medium = "Memory" } });
                continue;
            }
            claims.Add(new V1PersistentVolumeClaim
            {
                Metadata = new V1ObjectMeta { Name = name },
                Spec = new V1PersistentVolumeClaimSpec
                {
                    AccessModes = ["ReadWriteOnce"],
                    Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new("1Gi") } },
                },
            });
        }
        return (mounts, volumes, claims);
    }
}
