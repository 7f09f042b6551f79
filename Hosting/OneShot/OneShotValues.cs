using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Ichrisbirch.Hosting.OneShot;

/// <summary>A one-shot command's arguments and environment, evaluated from its annotations as DCP would for an executable.</summary>
internal static class OneShotValues
{
    public static async Task<IReadOnlyList<string>> ArgumentsAsync(IResource resource, DistributedApplicationExecutionContext execution, CancellationToken ct)
    {
        var args = new List<object>();
        var context = new CommandLineArgsCallbackContext(args, resource, ct) { ExecutionContext = execution };
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>()) await callback.Callback(context).ConfigureAwait(false);
        var values = new List<string>();
        foreach (var arg in args) values.Add(await ValueAsync(arg, ct).ConfigureAwait(false));
        return values;
    }

    public static async Task<IReadOnlyDictionary<string, string>> EnvironmentAsync(IResource resource, DistributedApplicationExecutionContext execution, CancellationToken ct)
    {
        var env = new Dictionary<string, object>(StringComparer.Ordinal);
        var context = new EnvironmentCallbackContext(execution, resource, env, ct);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>()) await callback.Callback(context).ConfigureAwait(false);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in env) values[key] = await ValueAsync(value, ct).ConfigureAwait(false);
        return values;
    }

    private static async Task<string> ValueAsync(object value, CancellationToken ct) => value switch
    {
        string s => s,
        IValueProvider provider => await provider.GetValueAsync(ct).ConfigureAwait(false) ?? "",
        _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
