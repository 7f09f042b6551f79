using Aspire.Hosting.ApplicationModel;
using Ichrisbirch.Hosting.Publishing;

namespace Ichrisbirch.Hosting.Compose;

/// <summary>
/// Renders published values as compose strings: parameters become <c>${NAME}</c> (secrets with a <c>:?</c> guard),
/// endpoints their service name and target port, literals have <c>$</c> escaped.
/// </summary>
internal sealed class ComposeValues
{
    /// <summary>Parameters referenced as <c>${NAME}</c>, by NAME.</summary>
    public SortedDictionary<string, ParameterResource> Parameters { get; } = new(StringComparer.Ordinal);

    /// <summary>The value as a compose string.</summary>
    public string Format(PublishedValue value) => value.Render(Escape, Placeholder);

    private string Placeholder(ParameterResource parameter)
    {
        var name = PublishedNames.EnvironmentVariable(parameter.Name);
        Parameters[name] = parameter;
        return parameter.Secret ? $"${{{name}:?set {name} in .env}}" : $"${{{name}}}";
    }

    /// <summary>A literal for compose: <c>$</c> becomes <c>$$</c> so compose does not interpolate it.</summary>
    public static string Escape(string literal) => literal.Replace("$", "$$", StringComparison.Ordinal);
}
