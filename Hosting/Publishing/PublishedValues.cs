using System.Globalization;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// Evaluates model values once for every publisher: endpoint references become host and port parts, parameters
/// parameter parts, conditional expressions are decided, connection strings and reference expressions are split
/// into their parts, anything formattable becomes invariant text.
/// </summary>
public static class PublishedValues
{
    private const char MarkerStart = '\uE000';
    private const char MarkerEnd = '\uE001';

    /// <summary>The published form of <paramref name="value"/>; one line naming the fix when it has none.</summary>
    public static PublishedValue Evaluate(object? value) => value switch
    {
        null => PublishedValue.Empty,
        string s => PublishedValue.Of([new LiteralPart(s)]),
        ParameterResource p => new([new ParameterPart(p)]),
        EndpointReference e => PublishedValue.Of([new LiteralPart($"{e.EndpointAnnotation.UriScheme}://"), Host(e), new LiteralPart(":"), Port(e)]),
        EndpointReferenceExpression x => x.Property switch
        {
            EndpointProperty.Host or EndpointProperty.IPV4Host => new([Host(x.Endpoint)]),
            EndpointProperty.Port or EndpointProperty.TargetPort => new([Port(x.Endpoint)]),
            EndpointProperty.HostAndPort => PublishedValue.Of([Host(x.Endpoint), new LiteralPart(":"), Port(x.Endpoint)]),
            EndpointProperty.Url => Evaluate(x.Endpoint),
            EndpointProperty.Scheme => PublishedValue.Of([new LiteralPart(x.Endpoint.EndpointAnnotation.UriScheme)]),
            EndpointProperty.TlsEnabled => PublishedValue.Of([new LiteralPart(x.Endpoint.EndpointAnnotation.UriScheme is "https" or "rediss" ? "True" : "False")]),
            var other => throw new PublishException($"{x.Endpoint.Resource.Name}: endpoint property {other} cannot be published; reference the endpoint's host and port instead."),
        },
        ConnectionStringReference c => Evaluate(c.Resource.ConnectionStringExpression),
        IResourceWithConnectionString c => Evaluate(c.ConnectionStringExpression),
        ReferenceExpression { IsConditional: true } r => Evaluate(Decide(r) ? r.WhenTrue : r.WhenFalse),
        ReferenceExpression r => Split(r),
        IFormattable f => PublishedValue.Of([new LiteralPart(f.ToString(null, CultureInfo.InvariantCulture))]),
        var other => throw new PublishException($"A value of type {other.GetType().Name} cannot be published; give the variable a string, parameter or endpoint reference."),
    };

    private static EndpointPart Host(EndpointReference endpoint)
        => new(endpoint.Resource, endpoint.EndpointName, EndpointPartKind.Host, null);

    private static EndpointPart Port(EndpointReference endpoint)
        => new(endpoint.Resource, endpoint.EndpointName, EndpointPartKind.Port, PublishedEndpoint.TargetPortOf(endpoint.Resource, endpoint.EndpointName));

    /// <summary>A condition is decided on its text as deployed (endpoints as service name and target port); a parameter cannot be decided.</summary>
    private static bool Decide(ReferenceExpression conditional)
    {
        var condition = Evaluate(conditional.Condition).Render(literal => literal, parameter => throw new PublishException(
            $"A condition on parameter '{parameter.Name}' cannot be decided when publishing; choose the value from the environment's configuration instead."));
        return string.Equals(condition, conditional.MatchValue, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Formats the expression with a marker per value, then splits at the markers (string.Format's own rules for the literal text).</summary>
    private static PublishedValue Split(ReferenceExpression expression)
    {
        var values = expression.ValueProviders.Select(Evaluate).ToList();
        var text = string.Format(CultureInfo.InvariantCulture, expression.Format,
            values.Select((_, i) => (object)$"{MarkerStart}{i.ToString(CultureInfo.InvariantCulture)}{MarkerEnd}").ToArray());
        var parts = new List<PublishedValuePart>();
        var start = 0;
        for (var open = text.IndexOf(MarkerStart, start); open >= 0; open = text.IndexOf(MarkerStart, start))
        {
            var close = text.IndexOf(MarkerEnd, open);
            parts.Add(new LiteralPart(text[start..open]));
            parts.AddRange(values[int.Parse(text[(open + 1)..close], CultureInfo.InvariantCulture)].Parts);
            start = close + 1;
        }
        parts.Add(new LiteralPart(text[start..]));
        return PublishedValue.Of(parts);
    }
}
