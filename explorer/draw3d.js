"use strict";
// Drawing helpers shared by the browser explorer's canvas and the offline page: vector maths,
// colours, vertex normals split at creases and the camera's matrix (a 30 degree vertical view angle, as in the scene).
const FOV = (30 * Math.PI) / 180;
const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const add = (a, b) => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a, s) => [a[0] * s, a[1] * s, a[2] * s];
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const norm = (a) => { const l = Math.hypot(a[0], a[1], a[2]) || 1; return [a[0] / l, a[1] / l, a[2] / l]; };
function rotate(v, axis, angle) {  // Rodrigues' rotation formula
  const k = norm(axis), c = Math.cos(angle), s = Math.sin(angle);
  return add(add(scale(v, c), scale(cross(k, v), s)), scale(k, dot(k, v) * (1 - c)));
}
function rgb(hex) { return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255); }

// Vertex normals of a triangle mesh (flat arrays of xyz and of vertex indices), area-weighted over the
// triangles round each vertex that face within CREASE_DEGREES of each other. Where they do not (the flat
// end of a cut structure meeting its side), the vertex is split, one copy per side of the crease, so
// that a large flat face does not tilt the shading of the surface beside it. Returns the positions and
// indices (with the copies) and the normals.
const CREASE_DEGREES = 60;
function creasedNormals(positions, indices) {
  const cosine = Math.cos((CREASE_DEGREES * Math.PI) / 180);
  const faceCount = indices.length / 3, vertexCount = positions.length / 3;
  const weighted = new Float32Array(faceCount * 3), unit = new Float32Array(faceCount * 3);
  const start = new Uint32Array(vertexCount + 1);
  for (let t = 0; t < faceCount; t++) {
    const a = indices[3 * t] * 3, b = indices[3 * t + 1] * 3, c = indices[3 * t + 2] * 3;
    const pa = [positions[a], positions[a + 1], positions[a + 2]];
    const n = cross(sub([positions[b], positions[b + 1], positions[b + 2]], pa),
                    sub([positions[c], positions[c + 1], positions[c + 2]], pa));
    const u = norm(n);
    for (let k = 0; k < 3; k++) { weighted[3 * t + k] = n[k]; unit[3 * t + k] = u[k]; start[indices[3 * t + k] + 1]++; }
  }
  for (let v = 0; v < vertexCount; v++) start[v + 1] += start[v];
  const faces = new Uint32Array(indices.length), filled = start.slice(0, vertexCount);
  for (let t = 0; t < faceCount; t++) for (let k = 0; k < 3; k++) faces[filled[indices[3 * t + k]]++] = t;
  const outPositions = Array.from(positions), outIndices = Array.from(indices), outNormals = new Array(positions.length).fill(0);
  for (let v = 0; v < vertexCount; v++) {
    const groups = [];  // [seed face, vertex index, normal]
    for (let j = start[v]; j < start[v + 1]; j++) {
      const t = faces[j];
      let group = groups.find((g) => unit[3 * g[0]] * unit[3 * t] + unit[3 * g[0] + 1] * unit[3 * t + 1] + unit[3 * g[0] + 2] * unit[3 * t + 2] >= cosine);
      if (!group) {
        const index = groups.length ? outPositions.length / 3 : v;
        if (groups.length) outPositions.push(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
        group = [t, index, [0, 0, 0]];
        groups.push(group);
      }
      for (let k = 0; k < 3; k++) group[2][k] += weighted[3 * t + k];
      for (let k = 0; k < 3; k++) if (indices[3 * t + k] === v) outIndices[3 * t + k] = group[1];
    }
    for (const [, index, n] of groups) { outNormals[3 * index] = n[0]; outNormals[3 * index + 1] = n[1]; outNormals[3 * index + 2] = n[2]; }
  }
  return { positions: new Float32Array(outPositions), indices: new Uint32Array(outIndices), normals: new Float32Array(outNormals) };
}

// The camera ({position, focalPoint, viewUp}) for a width x height view: the model-view-projection
// matrix (column-major) and the camera's right, up and forward axes.
function cameraMatrices(camera, width, height) {
  const eye = camera.position, target = camera.focalPoint;
  const f = norm(sub(target, eye)), r = norm(cross(f, camera.viewUp)), u = cross(r, f);
  const view = [r[0], u[0], -f[0], 0, r[1], u[1], -f[1], 0, r[2], u[2], -f[2], 0, -dot(r, eye), -dot(u, eye), dot(f, eye), 1];
  const distance = Math.hypot(...sub(eye, target));
  const near = Math.max(distance / 50, 1), far = distance + 2000;
  const t = 1 / Math.tan(FOV / 2), aspect = width / Math.max(height, 1);
  const proj = [t / aspect, 0, 0, 0, 0, t, 0, 0, 0, 0, (far + near) / (near - far), -1, 0, 0, (2 * far * near) / (near - far), 0];
  const mvp = new Float32Array(16);
  for (let c = 0; c < 4; c++) for (let row = 0; row < 4; row++) {
    let v = 0;
    for (let k = 0; k < 4; k++) v += proj[k * 4 + row] * view[c * 4 + k];
    mvp[c * 4 + row] = v;
  }
  return { mvp, r, u, f, distance, aspect, t };
}

// Where a world point lands on a width x height view (pixels from the top left), and whether it is in front.
function projectPoint(mvp, p, width, height) {
  const x = mvp[0] * p[0] + mvp[4] * p[1] + mvp[8] * p[2] + mvp[12], y = mvp[1] * p[0] + mvp[5] * p[1] + mvp[9] * p[2] + mvp[13];
  const w = mvp[3] * p[0] + mvp[7] * p[1] + mvp[11] * p[2] + mvp[15];
  return [((x / w + 1) / 2) * width, ((1 - y / w) / 2) * height, w > 0];
}

// Whether the plane [a, b, c, d] (kept where a x + b y + c z + d >= 0) runs through the box from lo to hi.
function planeCutsBox(plane, lo, hi) {
  let below = false, above = false;
  for (let corner = 0; corner < 8; corner++) {
    const p = [0, 1, 2].map((k) => ((corner >> k) & 1 ? hi[k] : lo[k]));
    const side = dot(plane, p) + plane[3];
    below = below || side < 0;
    above = above || side > 0;
  }
  return below && above;
}

// The surface shaders. Uniforms: mvp, eye (the camera's position), colour, alpha; clipPlane [a, b, c, d]
// keeps what lies where a x + b y + c z + d >= 0 ([0, 0, 0, 1] keeps everything); capped says the plane
// runs through this structure; pickMode draws the bare colour (an id) instead of shading it.
// Cut faces: a closed mesh cut open shows its inside, that is its back faces, through the cut. With both
// faces drawn, a back face of a cut structure is drawn as the cut face would be: in the structure's colour,
// a little darker and flat, lit as the plane is. It is brought CUT_FACE_LIFT_MM towards the eye, so that a
// surface lying on it (cartilage on its bone) does not show through in specks.
// Skin territories of nerves, painted on a surface: up to MAX_PAINT patches, each a height band (mm) and a sector of
// angle round the leg's long axis (0 degrees front, 90 outer side; see explorer/pain_regions.py), and the axis as
// up to MAX_AXIS points [z, x, y] with z rising, held beyond its ends. Painted skin is at least PAINT_OPACITY opaque
// (as in explorer/appearance.py) so that the paint shows on faint skin. paintedPatch gives the last patch
// covering a point, or -1.
const MAX_PAINT = 16, MAX_AXIS = 16, PAINT_OPACITY = 0.55;
const PAINT_GLSL = `
uniform int paintCount; uniform vec4 paintBand[${MAX_PAINT}]; uniform vec3 paintColour[${MAX_PAINT}];
uniform int axisCount; uniform vec3 legAxis[${MAX_AXIS}];
int paintedPatch(vec3 p) {
  if (paintCount == 0 || axisCount == 0) return -1;
  vec2 c = legAxis[0].yz;
  for (int i = 1; i < ${MAX_AXIS}; i++) {
    if (i >= axisCount) break;
    vec3 lo = legAxis[i - 1], hi = legAxis[i];
    if (p.z >= lo.x) c = mix(lo.yz, hi.yz, clamp((p.z - lo.x) / (hi.x - lo.x), 0.0, 1.0));
  }
  float angle = mod(degrees(atan(p.x - c.x, p.y - c.y)), 360.0);
  int found = -1;
  for (int i = 0; i < ${MAX_PAINT}; i++) {
    if (i >= paintCount) break;
    vec4 b = paintBand[i];
    if (p.z >= b.x && p.z <= b.y && mod(angle - b.z, 360.0) <= mod(b.w - b.z, 360.0)) found = i;
  }
  return found;
}`;
function paintLocations(gl, program) {
  const loc = {};
  for (const name of ["paintCount", "paintBand", "paintColour", "axisCount", "legAxis"]) loc[name] = gl.getUniformLocation(program, name);
  return loc;
}
// The leg's axis ([[z, x, y], ...]) for the program in use.
function setLegAxis(gl, loc, axis) {
  const points = (axis || []).slice(0, MAX_AXIS);
  gl.uniform1i(loc.axisCount, points.length);
  if (points.length) gl.uniform3fv(loc.legAxis, new Float32Array(points.flat()));
}
// The patches ([[low, high, from, to, '#rrggbb'], ...], or none) painted on the next structure drawn.
function setPaint(gl, loc, patches) {
  const shown = (patches || []).slice(0, MAX_PAINT);
  gl.uniform1i(loc.paintCount, shown.length);
  if (!shown.length) return;
  gl.uniform4fv(loc.paintBand, new Float32Array(shown.flatMap((p) => p.slice(0, 4))));
  gl.uniform3fv(loc.paintColour, new Float32Array(shown.flatMap((p) => rgb(p[4]))));
}

const SURFACE_VERTEX_SHADER = `#version 300 es
in vec3 position; in vec3 normal; uniform mat4 mvp; out vec3 vNormal; out vec3 vPos;
void main() { vNormal = normal; vPos = position; gl_Position = mvp * vec4(position, 1.0); }`;
const CUT_FACE_SHADE = 0.8;
const CUT_FACE_LIFT_MM = 1.0;
const SURFACE_FRAGMENT_SHADER = `#version 300 es
precision highp float;
in vec3 vNormal; in vec3 vPos;
uniform mat4 mvp; uniform vec3 colour; uniform float alpha; uniform vec3 eye; uniform vec4 clipPlane;
uniform bool capped; uniform bool pickMode;
out vec4 outColour;
${PAINT_GLSL}
void main() {
  if (dot(vec4(vPos, 1.0), clipPlane) < 0.0) discard;
  vec3 l = normalize(eye - vPos);
  bool cut = capped && !gl_FrontFacing;
  gl_FragDepth = gl_FragCoord.z;
  if (cut) {
    vec4 lifted = mvp * vec4(vPos + l * ${CUT_FACE_LIFT_MM.toFixed(2)}, 1.0);
    gl_FragDepth = clamp(0.5 + 0.5 * lifted.z / lifted.w, 0.0, 1.0);
  }
  if (pickMode) { outColour = vec4(colour, 1.0); return; }
  if (cut) {
    float d = abs(dot(normalize(clipPlane.xyz), l));
    outColour = vec4(colour * ${CUT_FACE_SHADE.toFixed(2)} * (0.28 + 0.72 * d), alpha);
    return;
  }
  vec3 n = normalize(vNormal);
  float d = abs(dot(n, l)); float s = pow(d, 40.0) * 0.25;
  int painted = paintedPatch(vPos);
  vec3 base = painted >= 0 ? paintColour[painted] : colour;
  outColour = vec4(base * (0.28 + 0.72 * d) + vec3(s), painted >= 0 ? max(alpha, ${PAINT_OPACITY.toFixed(2)}) : alpha);
}`;
