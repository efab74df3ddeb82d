"use strict";
// Drawing helpers shared by the browser explorer's canvas and the offline page: vector maths,
// colours, vertex normals and the camera's matrix (a 30 degree vertical view angle, as in the scene).
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

// Area-weighted vertex normals of a triangle mesh (flat arrays of xyz and of vertex indices).
function vertexNormals(positions, indices) {
  const normals = new Float32Array(positions.length);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t] * 3, b = indices[t + 1] * 3, c = indices[t + 2] * 3;
    const pa = [positions[a], positions[a + 1], positions[a + 2]];
    const n = cross(sub([positions[b], positions[b + 1], positions[b + 2]], pa),
                    sub([positions[c], positions[c + 1], positions[c + 2]], pa));
    for (const i of [a, b, c]) { normals[i] += n[0]; normals[i + 1] += n[1]; normals[i + 2] += n[2]; }
  }
  return normals;
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
