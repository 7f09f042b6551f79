using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;
using k8s;
using k8s.Models;

namespace Ichrisbirch.Hosting.Kubernetes;

/// <summary>One environment's model as Kubernetes objects.</summary>
/// <param name="Objects">Every object, by file name (<c>api-deployment.yaml</c>).</param>
/// <param name="SecretKeys">Keys of the generated Secret (one per parameter referenced).</param>
/// <param name="Images">Image placeholders of the Dockerfile builds, with the build target each stands for.</param>
/// <param name="ConfigMaps">Each resource's literal variables by ConfigMap name, written as a <c>configMapGenerator</c> (content hash in the name).</param>
internal sealed record KubernetesTranslation(SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> Objects, SortedSet<string> SecretKeys, SortedDictionary<string, string> Images,
    SortedDictionary<string, SortedDictionary<string, string>> ConfigMaps);

/// <summary>
/// The one translation of a model into Kubernetes objects, the same for every environment: a workload per
/// published resource with exactly its environment (each variable a ConfigMap or Secret key reference), its
/// Service, probes from its health check, limits, a non-root context and init containers for its waits. A run-once
/// resource that others wait to complete runs as an init container of each of them (after its own waits), not as a
/// Job of its own: a pod cannot wait for another workload's completion.
/// </summary>
internal static class KubernetesTranslator
{
    public static KubernetesTranslation Translate(PublishedModel published, KustomizeBundleResource environment, bool isBase)
    {
        var values = new KubernetesValues();
        var objects = new SortedDictionary<string, IKubernetesObject<V1ObjectMeta>>(StringComparer.Ordinal);
        var images = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var configMaps = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        var names = published.Resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var pods = new Dictionary<string, V1PodSpec>(StringComparer.Ordinal);

        foreach (var publishedResource in published.Resources)
        {
            var resource = publishedResource.Resource;
            var (image, uid) = Image(publishedResource, environment, images);
            var container = new V1Container { Name = resource.Name, Image = image };
            if (publishedResource.Entrypoint is { } entrypoint) container.Command = [entrypoint];
            container.Args = publishedResource.Arguments?.Select(a => KubernetesValues.Argument(resource.Name, a, publishedResource.Environment)).ToList();

            var data = new SortedDictionary<string, string>(StringComparer.Ordinal);
            container.Env = publishedResource.Environment.Select(v => values.Variable(resource.Name, v.Key, v.Value, data)).ToList();
            if (data.Count > 0) configMaps[KubernetesValues.ConfigMapName(resource.Name)] = data;

            var ports = publishedResource.Endpoints.Select(e => (Name: e.Name.ToLowerInvariant(), Port: e.TargetPort)).DistinctBy(p => p.Port).ToList();
            container.Ports = ports.Count > 0 ? ports.Select(p => new V1ContainerPort { Name = p.Name, ContainerPort = p.Port, Protocol = "TCP" }).ToList() : null;
            container.ReadinessProbe = KubernetesContainers.Readiness(resource);
            container.LivenessProbe = KubernetesContainers.Liveness(resource);
            container.Resources = KubernetesContainers.Resources(resource);
            container.SecurityContext = KubernetesContainers.Security(uid);
            container.Lifecycle = KubernetesContainers.PreStopPause(resource);

            var (mounts, volumes, claims) = Volumes(resource);
            AddDeploymentFiles(resource, mounts, volumes, objects);
            container.VolumeMounts = mounts.Count > 0 ? mounts : null;
            var waits = KubernetesContainers.Waits(resource, names, environment.WaitImage, uid);
            foreach (var completion in PublishedWaits.Of(resource).Where(w => w.Type == WaitType.WaitForCompletion && names.Contains(w.Resource.Name)))
            {
                if (!completion.Resource.RunsToCompletion())
                {
                    throw new PublishException($"{resource.Name} waits for {completion.Resource.Name} to complete, but it serves until stopped; wait for it to be healthy instead, or mark it WithRunToCompletion.");
                }
                var first = pods.GetValueOrDefault(completion.Resource.Name) ?? throw new PublishException(
                    $"{resource.Name} waits for {completion.Resource.Name} to complete, which the model adds after it; add {completion.Resource.Name} first.");
                waits.AddRange((first.InitContainers ?? []).Concat(first.Containers).Where(c => waits.All(w => w.Name != c.Name)));
                volumes.AddRange((first.Volumes ?? []).Where(v => !v.Name.StartsWith(WritablePrefix, StringComparison.Ordinal) && volumes.All(w => w.Name != v.Name)));
                objects.Remove($"{completion.Resource.Name}-job.yaml");
            }
            var pod = new V1PodSpec
            {
                Containers = [container],
                InitContainers = waits.Count > 0 ? waits : null,
                Volumes = volumes.Count > 0 ? volumes : null,
                SecurityContext = KubernetesContainers.PodSecurity(uid),
                AutomountServiceAccountToken = false, // no service talks to the Kubernetes API
                TerminationGracePeriodSeconds = KubernetesContainers.GracePeriodSeconds(resource),
            };
            pods[resource.Name] = pod;
            var scaling = isBase && environment.Autoscaled.TryGetValue(resource.Name, out var s) ? s : null;
            var takesTraffic = environment.Routes.Any(r => r.Service == resource.Name) || published.ClientsOf(resource.Name).Any();
            var replicas = new ReplicaPlan((takesTraffic || scaling is not null) && !resource.IsSingleInstance(), isBase ? environment.Replicas : 1, scaling);
            var workload = KubernetesWorkloads.Workload(resource, pod, claims, replicas, environment);
            objects[$"{resource.Name}-{workload.Kind.ToLowerInvariant()}.yaml"] = workload;
            if (workload is V1Deployment && replicas.Replicated) objects[$"{resource.Name}-pdb.yaml"] = KubernetesWorkloads.DisruptionBudget(resource.Name);
            Writable(publishedResource, environment, container, pod); // after the kind is chosen: scratch folders do not make a StatefulSet
            if (ports.Count > 0) objects[$"{resource.Name}-service.yaml"] = KubernetesWorkloads.Service(resource, ports, headless: workload is V1StatefulSet);
            if (scaling is { Max: > 1 } && workload is V1Deployment) objects[$"{resource.Name}-hpa.yaml"] = KubernetesWorkloads.Autoscaler(resource.Name, scaling);
            KubernetesLabels.Apply(objects, resource.Name, workload, replicas.Replicated, image, environment.PartOf);
        }

        foreach (var route in environment.Routes)
        {
            var target = published.Find(route.Service)
                ?? throw new PublishException($"The ingress route {route.PathPrefix} names {route.Service}, which the {published.EnvironmentName} model does not publish; route to a published resource.");
            var ingress = KubernetesWorkloads.Ingress(route, target.TargetPort(route.EndpointName), environment.IngressClass);
            if (isBase) KubernetesIngressTls.Apply(ingress, environment, requestsCertificate: ReferenceEquals(route, environment.Routes[0]));
            objects[$"{route.Service}-ingress.yaml"] = ingress;
        }
        KubernetesNetworkPolicies.Add(published, environment, objects);
        return new(objects, values.SecretKeys, images, configMaps);
    }

    /// <summary>A Dockerfile build becomes the placeholder <c>{context folder}-{target}</c> (set by kustomize <c>images:</c>) run as the build user; an image its documented user.</summary>
    private static (string Image, long Uid) Image(PublishedResource resource, KustomizeBundleResource environment, SortedDictionary<string, string> images)
    {
        if (resource.Image?.Build is { } build)
        {
            var folder = Path.GetFileName(Path.TrimEndingDirectorySeparator(build.ContextPath)).ToLowerInvariant();
            var placeholder = string.IsNullOrEmpty(build.Stage) ? folder : $"{folder}-{build.Stage}";
            images[placeholder] = build.Stage ?? "";
            return (placeholder, environment.BuildUser);
        }
        var image = resource.Image ?? throw new PublishException($"{resource.Name} has neither an image nor a Dockerfile; give it one.");
        var uid = environment.ImageUsers.TryGetValue(image.Name!, out var u) ? u
            : throw new PublishException($"{resource.Name}: which numeric non-root user does image {image.Name} run as? Call WithImageUser(\"{image.Name}\", uid) on the Kubernetes environment.");
        return (image.Reference!, uid);
    }

    private const string WritablePrefix = "writable"; // the scratch folders Writable adds: never a reason for a StatefulSet

    /// <summary>The root filesystem is read-only: an <c>emptyDir</c> for each folder the container writes to (<c>/tmp</c>, the image's own).</summary>
    private static void Writable(PublishedResource resource, KustomizeBundleResource environment, V1Container container, V1PodSpec pod)
    {
        var paths = environment.WritablePaths.Concat(resource.Image?.Name is { } image && environment.ImageWritablePaths.TryGetValue(image, out var own) ? own : []);
        foreach (var path in paths.Distinct(StringComparer.Ordinal))
        {
            var name = $"{WritablePrefix}{path.Replace('/', '-').Replace('_', '-').ToLowerInvariant()}";
            (container.VolumeMounts ??= []).Add(new V1VolumeMount { Name = name, MountPath = path });
            if ((pod.Volumes ??= []).All(v => v.Name != name)) // a run-once init step merged into the pod brought its own
            {
                pod.Volumes.Add(new V1Volume { Name = name, EmptyDir = new V1EmptyDirVolumeSource { SizeLimit = new ResourceQuantity("64Mi") } });
            }
        }
    }

    /// <summary>
    /// Each deployment file as a ConfigMap of its own (named after the file, its one key the file name), shared by every
    /// resource that mounts it, mounted read-only at its target by subPath.
    /// </summary>
    private static void AddDeploymentFiles(IResource resource, List<V1VolumeMount> mounts, List<V1Volume> volumes, SortedDictionary<string, IKubernetesObject<V1ObjectMeta>> objects)
    {
        foreach (var file in resource.Annotations.OfType<DeploymentFileAnnotation>())
        {
            var key = Path.GetFileName(file.SourcePath);
            var name = key.Replace('.', '-').Replace('_', '-').ToLowerInvariant();
            var content = File.ReadAllText(file.SourcePath).ReplaceLineEndings("\n");
            if (objects.TryGetValue($"{name}-configmap.yaml", out var existing) && ((V1ConfigMap)existing).Data[key] != content)
            {
                throw new PublishException($"{resource.Name}: two different deployment files are named {key}; give them different names.");
            }
            objects[$"{name}-configmap.yaml"] = KubernetesWorkloads.Typed(new V1ConfigMap { Data = new Dictionary<string, string> { [key] = content } }, "v1", "ConfigMap", name);
            if (volumes.All(v => v.Name != name)) volumes.Add(new V1Volume { Name = name, ConfigMap = new V1ConfigMapVolumeSource { Name = name } });
            mounts.Add(new V1VolumeMount { Name = name, MountPath = file.Target, SubPath = key, ReadOnlyProperty = true });
        }
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
                throw new PublishException($"{resource.Name}: bind mount {mount.Source} -> {mount.Target} is a path of the publishing machine; use a named volume.");
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
