using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// Turns model values into compose strings: endpoint hosts become service names and ports their target ports,
/// parameters become <c>${NAME}</c> (secrets with a <c>:?</c> guard), conditional expressions are evaluated,
/// literals have <c>$</c> escaped.
/// </summary>
internal sealed class ComposeValues
{
    /// <summary>Parameters referenced as <c>${NAME}</c>, by NAME.</summary>
    public SortedDictionary<string, ParameterResource> Parameters { get; } = new(StringComparer.Ordinal);

    public string Format(object? value) => value switch
    {
        null => "",
        string s => Escape(s),
        ParameterResource p => Placeholder(p),
        EndpointReference e => $"{e.EndpointAnnotation.UriScheme}://{e.Resource.Name}:{TargetPort(e.Resource, e.EndpointName)}",
        EndpointReferenceExpression x => x.Property switch
        {
            EndpointProperty.Host or EndpointProperty.IPV4Host => x.Endpoint.Resource.Name,
            EndpointProperty.Port or EndpointProperty.TargetPort => TargetPort(x.Endpoint.Resource, x.Endpoint.EndpointName).ToString(CultureInfo.InvariantCulture),
            EndpointProperty.HostAndPort => $"{x.Endpoint.Resource.Name}:{TargetPort(x.Endpoint.Resource, x.Endpoint.EndpointName)}",
            EndpointProperty.Url => Format(x.Endpoint),
            EndpointProperty.Scheme => x.Endpoint.EndpointAnnotation.UriScheme,
            EndpointProperty.TlsEnabled => x.Endpoint.EndpointAnnotation.UriScheme is "https" or "rediss" ? "True" : "False",
            var other => throw new ComposePublishException($"{x.Endpoint.Resource.Name}: endpoint property {other} has no compose equivalent; reference the endpoint's host and port instead."),
        },
        ConnectionStringReference c => Format(c.Resource.ConnectionStringExpression),
        IResourceWithConnectionString c => Format(c.ConnectionStringExpression),
        ReferenceExpression { IsConditional: true } r => Format(
            string.Equals(Format(r.Condition), r.MatchValue, StringComparison.OrdinalIgnoreCase) ? r.WhenTrue : r.WhenFalse),
        ReferenceExpression r => string.Format(CultureInfo.InvariantCulture, Escape(r.Format), r.ValueProviders.Select(Format).ToArray<object>()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var other => throw new ComposePublishException($"A value of type {other.GetType().Name} has no compose equivalent; give the variable a string, parameter or endpoint reference."),
    };

    /// <summary>The port the resource's endpoint listens on inside its container.</summary>
    public static int TargetPort(IResource resource, string endpointName)
    {
        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().SingleOrDefault(e => e.Name == endpointName)
            ?? throw new ComposePublishException($"{resource.Name}: no endpoint named '{endpointName}'; reference one it declares.");
        return endpoint.TargetPort ?? throw new ComposePublishException(
            $"{resource.Name}: endpoint '{endpointName}' has no target port, so compose cannot know where the container listens; give it targetPort: in WithEndpoint/WithHttpEndpoint.");
    }

    private string Placeholder(ParameterResource parameter)
    {
        var name = EnvironmentName(parameter.Name);
        Parameters[name] = parameter;
        return parameter.Secret ? $"${{{name}:?set {name} in .env}}" : $"${{{name}}}";
    }

    /// <summary>A literal for compose: <c>$</c> becomes <c>$$</c> so compose does not interpolate it.</summary>
    public static string Escape(string literal) => literal.Replace("$", "$$", StringComparison.Ordinal);

    /// <summary><c>postgres-password</c> → <c>POSTGRES_PASSWORD</c>.</summary>
    public static string EnvironmentName(string parameterName)
        => new(parameterName.Select(c => char.IsLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
}
