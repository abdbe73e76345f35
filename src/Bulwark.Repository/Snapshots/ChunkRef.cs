using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bulwark.Repository.Snapshots;

/// <summary>One chunk of a stream: its id and plaintext length. Stored in a manifest as "hexid:length".</summary>
[JsonConverter(typeof(ChunkRefConverter))]
public readonly record struct ChunkRef(ObjectId Id, int Length);

internal sealed class ChunkRefConverter : JsonConverter<ChunkRef>
{
    public override ChunkRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString();
        if (text is null || text.Length < ObjectId.HexLength + 2 || text[ObjectId.HexLength] != ':' ||
            !ObjectId.TryParse(text[..ObjectId.HexLength], out var id) ||
            !int.TryParse(text.AsSpan(ObjectId.HexLength + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            throw new JsonException($"'{text}' is not a chunk reference");
        return new ChunkRef(id, length);
    }

    public override void Write(Utf8JsonWriter writer, ChunkRef value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Id + ":" + value.Length.ToString(CultureInfo.InvariantCulture));
}
