namespace EquiRecon.MLNet;

/// <summary>Default column names used by EquiRecon's ML.NET components.</summary>
public static class EquiReconColumnNames
{
    /// <summary>An image column (<c>MLImage</c>): <c>"Image"</c>.</summary>
    public const string Image = "Image";

    /// <summary>Normalized pixels, a float vector <c>(3, H, W)</c> flattened: <c>"Pixels"</c>.</summary>
    public const string Pixels = "Pixels";

    /// <summary>The invariant part of an encoder's pooled representation, a float vector <c>(C_inv)</c>: <c>"Invariant"</c>.</summary>
    public const string Invariant = "Invariant";

    /// <summary>The equivariant part of an encoder's pooled representation, a float vector <c>(C_eqv)</c>: <c>"Equivariant"</c>.</summary>
    public const string Equivariant = "Equivariant";
}
