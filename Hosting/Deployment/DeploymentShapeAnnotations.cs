namespace Aspire.Hosting.ApplicationModel;

/// <summary>
/// A command run inside the resource's container that exits 0 when the resource is healthy (a compose
/// <c>healthcheck</c>, a Kubernetes exec probe). Publisher-neutral.
/// </summary>
/// <param name="Command">The command and its arguments, or one shell line when <paramref name="Shell"/> is true.</param>
/// <param name="Shell">Run <paramref name="Command"/>[0] through the container's shell.</param>
public sealed record HealthCheckCommandAnnotation(IReadOnlyList<string> Command, bool Shell) : IResourceAnnotation;

/// <summary>
/// The resource's source folder mounted live into its container at <paramref name="Target"/>, so a reloading
/// server sees edits (development deployments). The only bind mount a publisher writes.
/// </summary>
/// <param name="SourceDirectory">The folder on the developer's machine: a build context of the model.</param>
/// <param name="Target">Path inside the container (the image's working directory).</param>
public sealed record LiveSourceAnnotation(string SourceDirectory, string Target) : IResourceAnnotation;

/// <summary>
/// A file of the AppHost's source tree shipped with the deployment and mounted read-only into the resource's
/// container at <paramref name="Target"/> (compose: a copy in the bundle, bind-mounted; Kubernetes: a ConfigMap key,
/// mounted with subPath). Run mode mounts the file itself.
/// </summary>
/// <param name="SourcePath">The file on the publishing machine.</param>
/// <param name="Target">The file's path inside the container.</param>
public sealed record DeploymentFileAnnotation(string SourcePath, string Target) : IResourceAnnotation;

/// <summary>
/// The resource runs once to completion (a test run, a migration) instead of serving until stopped: a Kubernetes Job
/// rather than a Deployment, whatever its restart policy. Publisher-neutral.
/// </summary>
/// <param name="Deadline">The longest one run may take before it is stopped as failed.</param>
public sealed record RunToCompletionAnnotation(TimeSpan Deadline) : IResourceAnnotation;

/// <summary>
/// At most one instance of the resource may run at a time (a job scheduler): never scaled out, and replaced by
/// stopping the old instance before the new one starts. Publisher-neutral.
/// </summary>
public sealed record SingleInstanceAnnotation : IResourceAnnotation;
