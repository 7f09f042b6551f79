using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// The application's own way to fix a missing prerequisite (e.g. "set App:Local:ServerPath, or run the setup script"):
/// appended to the resource's start errors after the direct fix. The hosting code knows no application.
/// </summary>
public sealed record SetupHintAnnotation(string Hint) : IResourceAnnotation
{
    /// <summary>"<paramref name="direct"/>, or HINT." (or "<paramref name="direct"/>." without a hint).</summary>
    public static string Fix(IResource resource, string direct)
        => resource.Annotations.OfType<SetupHintAnnotation>().LastOrDefault() is { } hint ? $"{direct}, or {hint.Hint}." : $"{direct}.";
}

/// <summary>Adds <see cref="SetupHintAnnotation"/>.</summary>
public static class SetupHintExtensions
{
    /// <summary>Appends <paramref name="hint"/> to the resource's start errors that name a fix.</summary>
    public static IResourceBuilder<T> WithSetupHint<T>(this IResourceBuilder<T> builder, string hint) where T : IResource
        => builder.WithAnnotation(new SetupHintAnnotation(hint), ResourceAnnotationMutationBehavior.Replace);
}
