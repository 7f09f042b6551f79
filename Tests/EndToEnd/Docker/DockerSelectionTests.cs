using System.Reflection;

namespace Ichrisbirch.Tests.EndToEnd.Docker;

/// <summary>
/// <c>--filter FullyQualifiedName~Docker</c> (case-insensitive) selects exactly the tests that need the Docker engine,
/// and <c>!~Docker</c> the rest: scripts/test.sh runs them as two steps.
/// </summary>
public class DockerSelectionTests
{
    [Fact]
    public void Only_the_docker_engine_tests_have_docker_in_their_full_name()
    {
        var engineNamespace = typeof(DockerStack).Namespace!;
        var strays = typeof(DockerSelectionTests).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods().Where(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()).Select(m => (Type: t, Method: m)))
            .Where(x => $"{x.Type.FullName}.{x.Method.Name}".Contains("docker", StringComparison.OrdinalIgnoreCase) && x.Type.Namespace != engineNamespace)
            .Select(x => $"{x.Type.FullName}.{x.Method.Name}")
            .ToList();
        Assert.True(strays.Count == 0, $"these tests would run in the Docker step (FullyQualifiedName~Docker) and not in the main one; rename them or move them under {engineNamespace}:\n{string.Join("\n", strays)}");
    }

    [Fact]
    public void Every_docker_engine_test_class_is_in_the_one_non_parallel_docker_collection()
    {
        var classes = typeof(DockerSelectionTests).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(DockerStack).Namespace && t != typeof(DockerSelectionTests)
                && t.GetMethods().Any(m => m.GetCustomAttributes<FactAttribute>(inherit: true).Any()))
            .ToList();
        Assert.NotEmpty(classes);
        Assert.All(classes, t => Assert.Equal(DockerCollection.Name,
            t.CustomAttributes.FirstOrDefault(a => a.AttributeType == typeof(CollectionAttribute))?.ConstructorArguments[0].Value as string));
        Assert.All(classes, t => Assert.Contains("Docker", t.Name, StringComparison.Ordinal));
    }
}
