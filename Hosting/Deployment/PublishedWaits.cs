namespace Aspire.Hosting.ApplicationModel;

/// <summary>What a deployment waits for before it starts a resource, whichever way the model said it.</summary>
public static class PublishedWaits
{
    /// <summary>
    /// <c>WaitFor</c>, <c>WaitForStart</c> and <c>WaitForCompletion</c> as they are, and <c>WaitForServing</c> as
    /// healthy: a deployment's probe passes on a degraded service (it answers 200), so healthy there means serving.
    /// </summary>
    public static IEnumerable<(IResource Resource, WaitType Type)> Of(IResource resource)
        => resource.Annotations.OfType<WaitAnnotation>().Select(w => (w.Resource, w.WaitType))
            .Concat(resource.Annotations.OfType<ServingWaitAnnotation>().Select(w => (w.Resource, WaitType.WaitUntilHealthy)));
}
