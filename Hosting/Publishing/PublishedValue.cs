using System.Globalization;
using System.Text;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.Publishing;

/// <summary>
/// A model value (an argument or an environment variable) evaluated for publishing, in no publisher's syntax: a
/// sequence of literal text, parameter references and endpoint references, which each publisher renders its own way
/// (compose as <c>${NAME}</c> with <c>$$</c> escapes, Kubernetes as ConfigMap and Secret key references, …).
/// </summary>
/// <param name="Parts">The parts in order; no empty literal, no two literals side by side.</param>
public sealed record PublishedValue(IReadOnlyList<PublishedValuePart> Parts)
{
    /// <summary>The empty value.</summary>
    public static PublishedValue Empty { get; } = new([]);

    /// <summary>The value's single parameter when the value is nothing else, else null.</summary>
    public ParameterResource? WholeParameter => Parts is [ParameterPart p] ? p.Parameter : null;

    /// <summary>The parameters the value references.</summary>
    public IEnumerable<ParameterResource> Parameters => Parts.OfType<ParameterPart>().Select(p => p.Parameter);

    /// <summary>
    /// The value as one string: literals as they are, endpoint parts as the service name and target port (what every
    /// container publisher resolves them to), each parameter through <paramref name="parameter"/>.
    /// </summary>
    public string Render(Func<string, string> literal, Func<ParameterResource, string> parameter)
    {
        var text = new StringBuilder();
        foreach (var part in Parts)
        {
            text.Append(part switch
            {
                LiteralPart l => literal(l.Text),
                ParameterPart p => parameter(p.Parameter),
                EndpointPart { Property: EndpointPartKind.Host } e => e.Resource.Name,
                EndpointPart e => e.TargetPort?.ToString(CultureInfo.InvariantCulture),
                _ => throw new InvalidOperationException($"Unknown value part {part.GetType().Name}."),
            });
        }
        return text.ToString();
    }

    /// <summary>Joins parts, merging neighbouring literals and dropping empty ones.</summary>
    public static PublishedValue Of(IEnumerable<PublishedValuePart> parts)
    {
        var list = new List<PublishedValuePart>();
        foreach (var part in parts)
        {
            if (part is LiteralPart { Text.Length: 0 }) continue;
            if (part is LiteralPart next && list.Count > 0 && list[^1] is LiteralPart previous) list[^1] = new LiteralPart(previous.Text + next.Text);
            else list.Add(part);
        }
        return new(list);
    }
}

/// <summary>One part of a <see cref="PublishedValue"/>.</summary>
public abstract record PublishedValuePart;

/// <summary>Text taken as it is (no publisher syntax applied yet).</summary>
/// <param name="Text">The text.</param>
public sealed record LiteralPart(string Text) : PublishedValuePart;

/// <summary>A parameter, whose value the deployer supplies.</summary>
/// <param name="Parameter">The parameter.</param>
public sealed record ParameterPart(ParameterResource Parameter) : PublishedValuePart;

/// <summary>Which part of an endpoint a value refers to.</summary>
public enum EndpointPartKind
{
    /// <summary>The host: the resource's service name.</summary>
    Host,
    /// <summary>The port: the endpoint's target port (the port inside the container).</summary>
    Port,
}

/// <summary>A reference to a resource's endpoint host or port.</summary>
/// <param name="Resource">The resource that owns the endpoint.</param>
/// <param name="EndpointName">The endpoint.</param>
/// <param name="Property">Host or port.</param>
/// <param name="TargetPort">The endpoint's target port (null for the host).</param>
public sealed record EndpointPart(IResource Resource, string EndpointName, EndpointPartKind Property, int? TargetPort) : PublishedValuePart;
