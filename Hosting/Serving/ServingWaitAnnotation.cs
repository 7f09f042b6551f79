using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// Start only once <paramref name="Resource"/> serves: its health is Healthy or Degraded (Aspire's <c>WaitFor</c>
/// releases on Healthy alone). Publisher-neutral: a deployment's probe passes on both (a degraded service answers
/// 200), so compose writes <c>service_healthy</c> and Kubernetes waits for a ready pod.
/// </summary>
public sealed record ServingWaitAnnotation(IResource Resource) : IResourceAnnotation;
